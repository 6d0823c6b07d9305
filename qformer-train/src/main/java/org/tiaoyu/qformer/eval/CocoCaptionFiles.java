package org.tiaoyu.qformer.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Reference captions in COCO's captions format and predictions in COCO's results format, read as pycocotools
 * reads them for COCOEvalCap ({@code COCO(annotation_file)}, {@code coco.loadRes(results_file)}, with
 * {@code params['image_id']} the results' images), ready for {@link CaptionMetrics#evaluate}.
 *
 * <p>The references file is {@code {"images": [{"id", ...}], "annotations": [{"image_id", "caption", ...}]}}: the
 * images in the order of {@code images}, each with its captions in file order (annotations of images not in
 * {@code images} are never evaluated, as in pycocotools). The predictions file is
 * {@code [{"image_id", "caption"}, ...]} with one caption for each image to evaluate. Image ids are whole numbers
 * (as {@link Long}) or strings, and a number never equals a string, as in Python.
 *
 * <p>Anything pycocotools or pycocoevalcap would fail on is a {@link BadInputException} naming the file and the
 * problem: a file that is missing, empty or not JSON, a missing or mistyped field, a second prediction for one
 * image, a prediction for an image the references do not have or that has no reference caption.
 *
 * @param references  each image's reference captions, in the references file's order
 * @param predictions each predicted image's caption, in the predictions file's order
 */
public record CocoCaptionFiles(Map<Object, List<String>> references, Map<Object, String> predictions) {

    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public CocoCaptionFiles {
        Map<Object, List<String>> copy = new LinkedHashMap<>();
        references.forEach((id, captions) -> copy.put(id, List.copyOf(captions)));
        references = Collections.unmodifiableMap(copy);
        predictions = Collections.unmodifiableMap(new LinkedHashMap<>(predictions));
    }

    /** Reads both files and checks the predictions against the references. */
    public static CocoCaptionFiles read(Path referencesFile, Path predictionsFile) {
        Map<Object, List<String>> references = readReferences(referencesFile);
        return new CocoCaptionFiles(references, readPredictions(predictionsFile, references, referencesFile));
    }

    /** The references file alone: each image's captions, in the file's order of {@code images}. */
    public static Map<Object, List<String>> readReferences(Path file) {
        JsonNode tree = readJson(file, "the references");
        JsonNode images = tree.get("images");
        JsonNode annotations = tree.get("annotations");
        if (!tree.isObject() || images == null || !images.isArray() || annotations == null
                || !annotations.isArray()) {
            throw new BadInputException(file + ": not a COCO captions file (an object with \"images\" and "
                    + "\"annotations\" lists)");
        }
        Map<Object, List<String>> references = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            references.putIfAbsent(imageId(images.get(i), "id", file + " images[" + i + "]"), new ArrayList<>());
        }
        for (int i = 0; i < annotations.size(); i++) {
            String where = file + " annotations[" + i + "]";
            JsonNode annotation = annotations.get(i);
            Object id = imageId(annotation, "image_id", where);
            String caption = caption(annotation, where);
            List<String> captions = references.get(id);
            if (captions != null) {
                captions.add(caption);
            }
        }
        return references;
    }

    /**
     * Each image's {@code file_name} in a references file, for making the predictions: in the order of
     * {@code images}.
     */
    public static Map<Object, String> readImageFiles(Path file) {
        JsonNode images = readJson(file, "the references").get("images");
        if (images == null || !images.isArray()) {
            throw new BadInputException(file + ": not a COCO captions file (no \"images\" list)");
        }
        Map<Object, String> files = new LinkedHashMap<>();
        for (int i = 0; i < images.size(); i++) {
            String where = file + " images[" + i + "]";
            Object id = imageId(images.get(i), "id", where);
            JsonNode name = images.get(i).get("file_name");
            if (name == null || !name.isTextual() || name.asText().isEmpty()) {
                throw new BadInputException(where + ": no \"file_name\" (a string), which names the image to caption");
            }
            files.putIfAbsent(id, name.asText());
        }
        return files;
    }

    private static Map<Object, String> readPredictions(Path file, Map<Object, List<String>> references,
            Path referencesFile) {
        JsonNode tree = readJson(file, "the predictions");
        if (!tree.isArray()) {
            throw new BadInputException(file + ": not a COCO results file (a list of {\"image_id\", \"caption\"} "
                    + "objects)");
        }
        if (tree.isEmpty()) {
            throw new BadInputException(file + ": no predictions (an empty list)");
        }
        Map<Object, String> predictions = new LinkedHashMap<>();
        Map<Object, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < tree.size(); i++) {
            String where = file + " [" + i + "]";
            JsonNode prediction = tree.get(i);
            Object id = imageId(prediction, "image_id", where);
            String caption = caption(prediction, where);
            Integer first = firstIndex.putIfAbsent(id, i);
            if (first != null) {
                throw new BadInputException(where + ": a second prediction for image_id " + describe(id)
                        + " (the first is [" + first + "])");
            }
            List<String> captions = references.get(id);
            if (captions == null) {
                throw new BadInputException(where + ": image_id " + describe(id) + " is not an image of "
                        + referencesFile);
            }
            if (captions.isEmpty()) {
                throw new BadInputException(where + ": image_id " + describe(id) + " has no reference captions in "
                        + referencesFile);
            }
            predictions.put(id, caption);
        }
        return predictions;
    }

    private static JsonNode readJson(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": " + (Files.exists(file) ? "not a file" : "no such file") + " ("
                    + what + ")");
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot be read (" + e.getMessage() + ")");
        }
        if (tree == null || tree.isMissingNode()) {
            throw new BadInputException(file + ": empty file (" + what + ")");
        }
        return tree;
    }

    /** An image id as Python compares them: a whole number (5 and 5.0 alike) or a string. */
    private static Object imageId(JsonNode entry, String field, String where) {
        if (entry == null || !entry.isObject()) {
            throw new BadInputException(where + ": not a JSON object");
        }
        JsonNode id = entry.get(field);
        if (id == null) {
            throw new BadInputException(where + ": no \"" + field + "\"");
        }
        if (id.isTextual()) {
            return id.asText();
        }
        if (id.isNumber() && id.decimalValue().stripTrailingZeros().scale() <= 0 && id.canConvertToLong()) {
            return id.longValue();
        }
        throw new BadInputException(where + ": \"" + field + "\" is " + shown(id) + ", not a whole number or a string");
    }

    private static String caption(JsonNode entry, String where) {
        JsonNode caption = entry.get("caption");
        if (caption == null) {
            throw new BadInputException(where + ": no \"caption\"");
        }
        if (!caption.isTextual()) {
            throw new BadInputException(where + ": \"caption\" is " + shown(caption) + ", not a string");
        }
        return caption.asText();
    }

    /** A value as a message shows it: numbers and the like as written, lists and objects by their kind. */
    private static String shown(JsonNode value) {
        return value.isArray() ? "a list" : value.isObject() ? "an object" : value.toString();
    }

    private static String describe(Object id) {
        return id instanceof String s ? "\"" + s + "\"" : id.toString();
    }
}
