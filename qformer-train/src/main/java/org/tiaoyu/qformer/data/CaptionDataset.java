package org.tiaoyu.qformer.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Image–caption pairs read from an annotation file ({@link AnnotationFormat}), one record per caption, in file
 * order. Image paths are relative to the image root (by default the annotation file's directory) unless absolute.
 *
 * <p>Records that cannot be used are {@linkplain #skipped() skipped} and named, never fatal: a missing or mistyped
 * field, a caption empty after cleaning, and whatever the {@code imageProblem} check finds (a missing image file,
 * a feature id not in the cache). A file that cannot be read or parsed at all is a {@link BadInputException}.
 */
public final class CaptionDataset {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<CaptionRecord> records;
    private final List<SkippedRecord> skipped;

    private CaptionDataset(Path file, List<CaptionRecord> records, List<SkippedRecord> skipped) {
        this.file = file;
        this.records = List.copyOf(records);
        this.skipped = List.copyOf(skipped);
    }

    /**
     * Reads {@code file}.
     *
     * @param format       null to decide from the file ({@link AnnotationFormat#parse})
     * @param imageRoot    what image paths are relative to; null for the file's directory
     * @param cleaner      applied to every caption; null keeps them as written (references for evaluation)
     * @param imageProblem null when the record's image can be used, else the reason it cannot
     */
    public static CaptionDataset read(Path file, AnnotationFormat format, Path imageRoot, CaptionCleaner cleaner,
            Function<CaptionRecord, String> imageProblem) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": " + (Files.exists(file) ? "not a file" : "no such file")
                    + " (the annotations)");
        }
        Path root = imageRoot != null ? imageRoot : parentOf(file);
        Reader reader = new Reader(file, root, cleaner, imageProblem);
        if (format == null) {
            format = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl") ? AnnotationFormat.JSONL
                    : readTree(file).isObject() ? AnnotationFormat.COCO : AnnotationFormat.KARPATHY;
        }
        switch (format) {
            case COCO -> reader.coco(readTree(file));
            case KARPATHY -> reader.karpathy(readTree(file));
            case JSONL -> reader.jsonl();
        }
        return new CaptionDataset(file, reader.records, reader.skipped);
    }

    public Path file() {
        return file;
    }

    public List<CaptionRecord> records() {
        return records;
    }

    public int size() {
        return records.size();
    }

    public List<SkippedRecord> skipped() {
        return skipped;
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent != null ? parent : Path.of(".");
    }

    private static JsonNode readTree(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new BadInputException(file + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot be read (" + e.getMessage() + ")");
        }
    }

    /** The state of one read: records so far, skipped ones, and the dense ids given to image ids as seen. */
    private static final class Reader {
        private final Path file;
        private final Path root;
        private final CaptionCleaner cleaner;
        private final Function<CaptionRecord, String> imageProblem;
        private final List<CaptionRecord> records = new ArrayList<>();
        private final List<SkippedRecord> skipped = new ArrayList<>();
        private final Map<String, Long> imageIds = new HashMap<>();

        Reader(Path file, Path root, CaptionCleaner cleaner, Function<CaptionRecord, String> imageProblem) {
            this.file = file;
            this.root = root;
            this.cleaner = cleaner;
            this.imageProblem = imageProblem;
        }

        void coco(JsonNode tree) {
            JsonNode images = tree.get("images");
            JsonNode annotations = tree.get("annotations");
            if (!tree.isObject() || images == null || !images.isArray() || annotations == null
                    || !annotations.isArray()) {
                throw new BadInputException(file + ": not a COCO captions file (an object with \"images\" and "
                        + "\"annotations\" lists)");
            }
            Map<String, String> fileNames = new LinkedHashMap<>();
            for (JsonNode image : images) {
                JsonNode id = image.get("id");
                JsonNode name = image.get("file_name");
                if (id != null && id.isValueNode() && name != null && name.isTextual()) {
                    fileNames.put(id.asText(), name.asText());
                }
            }
            for (int i = 0; i < annotations.size(); i++) {
                String source = file + " annotations[" + i + "]";
                JsonNode a = annotations.get(i);
                JsonNode id = a.get("image_id");
                if (id == null || !id.isValueNode() || id.isNull()) {
                    skip(source, "no image_id");
                    continue;
                }
                String name = fileNames.get(id.asText());
                if (name == null) {
                    skip(source, "image_id " + id.asText() + " is not in \"images\"");
                    continue;
                }
                caption(source, name, id.asText(), a.get("caption"));
            }
        }

        void karpathy(JsonNode tree) {
            if (!tree.isArray()) {
                throw new BadInputException(file + ": not a Karpathy-split list (a JSON list of "
                        + "{\"image\", \"caption\", \"image_id\"} objects)");
            }
            for (int i = 0; i < tree.size(); i++) {
                entry(file + " [" + i + "]", tree.get(i));
            }
        }

        void jsonl() {
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                String line;
                int number = 0;
                while ((line = in.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    String source = file + ":" + number;
                    JsonNode entry;
                    try {
                        entry = JSON.readTree(line);
                    } catch (JsonProcessingException e) {
                        skip(source, "not valid JSON (" + e.getOriginalMessage() + ")");
                        continue;
                    }
                    entry(source, entry);
                }
            } catch (IOException e) {
                throw new BadInputException(file + ": cannot be read (" + e.getMessage() + ")");
            }
        }

        /** A Karpathy or JSONL entry; the image id defaults to the image path. */
        private void entry(String source, JsonNode entry) {
            if (entry == null || !entry.isObject()) {
                skip(source, "not a JSON object");
                return;
            }
            JsonNode image = entry.get("image");
            if (image == null || !image.isTextual() || image.asText().isEmpty()) {
                skip(source, "no \"image\" path");
                return;
            }
            JsonNode id = entry.get("image_id");
            String imageId = id != null && id.isValueNode() && !id.isNull() ? id.asText() : image.asText();
            caption(source, image.asText(), imageId, entry.get("caption"));
        }

        /** One record per caption of {@code captions} (a string or a list of strings). */
        private void caption(String source, String image, String imageId, JsonNode captions) {
            if (captions == null || !(captions.isTextual() || captions.isArray())) {
                skip(source, "no \"caption\" (a string or a list of strings)");
                return;
            }
            List<JsonNode> texts = new ArrayList<>();
            if (captions.isTextual()) {
                texts.add(captions);
            } else {
                captions.forEach(texts::add);
            }
            for (int k = 0; k < texts.size(); k++) {
                String where = captions.isArray() ? source + " caption[" + k + "]" : source;
                JsonNode text = texts.get(k);
                if (!text.isTextual()) {
                    skip(where, "caption is not a string");
                    continue;
                }
                String cleaned = cleaner == null ? text.asText() : cleaner.clean(text.asText());
                if (cleaner == null ? cleaned.isBlank() : cleaned.isEmpty()) {
                    skip(where, "empty caption");
                    continue;
                }
                String key = image.replace('\\', '/');
                long dense = imageIds.computeIfAbsent(imageId, k2 -> (long) imageIds.size());
                CaptionRecord record = new CaptionRecord(key, root.resolve(image), dense, cleaned, where);
                String problem = imageProblem == null ? null : imageProblem.apply(record);
                if (problem != null) {
                    skip(where, "image " + image + ": " + problem);
                } else {
                    records.add(record);
                }
            }
        }

        private void skip(String source, String reason) {
            skipped.add(new SkippedRecord(source, reason));
        }
    }
}
