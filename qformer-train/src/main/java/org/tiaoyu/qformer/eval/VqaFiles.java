package org.tiaoyu.qformer.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * Readers of the VQA team's file formats, the ones {@code vqa.py}'s {@code VQA(annFile, quesFile)} and
 * {@code loadRes(resFile, quesFile)} load: question files, annotation files and result (prediction) files. Entries
 * keep the file's order; unknown fields are ignored.
 *
 * <p>Where the official loader would fail on a {@code KeyError} or an {@code assert}, or silently keep the last of
 * two entries with one question id, these readers throw a {@link BadInputException} whose one-line message names the
 * file, the entry and the problem. Beyond the official code they also refuse an empty list and human answers without
 * distinct integer {@code answer_id}s: {@code evaluate} tells the humans apart by comparing whole answer records, so
 * only distinct ids make "the other nine" nine.
 */
public final class VqaFiles {

    // json.load refuses anything after the value; Jackson's default would ignore it.
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private VqaFiles() {
    }

    /**
     * A question file: {@code {"questions": [{"question_id", "image_id", "question"}], ...}}. The top-level
     * {@code info}, {@code task_type}, {@code data_type}, {@code data_subtype} and {@code license}, which
     * {@code loadRes} copies, are not required.
     *
     * @throws BadInputException also for a {@code task_type} of {@code Multiple Choice} (VQA v1's other task, whose
     *                           check that each prediction is one of the choices is not implemented)
     */
    public static List<VqaQuestion> readQuestions(Path file) {
        JsonNode tree = read(file);
        JsonNode entries = listField(file, tree, "questions");
        JsonNode taskType = tree.get("task_type");
        if (taskType != null && taskType.asText().equals("Multiple Choice")) {
            throw new BadInputException(file + ": task_type \"Multiple Choice\" is not supported, only open-ended "
                    + "questions");
        }
        List<VqaQuestion> questions = new ArrayList<>();
        Map<Long, String> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = new Entry(file, "questions[" + i + "]", entries.get(i));
            long questionId = e.integer("question_id");
            e.unique(seen, "question_id", questionId);
            questions.add(new VqaQuestion(questionId, e.integer("image_id"), e.text("question")));
        }
        return questions;
    }

    /**
     * An annotation file: {@code {"annotations": [{"question_id", "image_id", "question_type", "answer_type",
     * "answers": [{"answer_id", "answer", ...}]}], ...}}.
     */
    public static List<VqaAnnotation> readAnnotations(Path file) {
        JsonNode entries = listField(file, read(file), "annotations");
        List<VqaAnnotation> annotations = new ArrayList<>();
        Map<Long, String> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "annotations[" + i + "]";
            Entry e = new Entry(file, where, entries.get(i));
            long questionId = e.integer("question_id");
            e.unique(seen, "question_id", questionId);
            JsonNode answerList = e.field("answers");
            if (!answerList.isArray() || answerList.isEmpty()) {
                throw e.problem("\"answers\" is not a non-empty list");
            }
            List<String> answers = new ArrayList<>();
            Map<Long, String> answerIds = new HashMap<>();
            for (int k = 0; k < answerList.size(); k++) {
                Entry answer = new Entry(file, where + ".answers[" + k + "]", answerList.get(k));
                answer.unique(answerIds, "answer_id", answer.integer("answer_id"));
                answers.add(answer.text("answer"));
            }
            annotations.add(new VqaAnnotation(questionId, e.integer("image_id"), e.text("question_type"),
                    e.text("answer_type"), answers));
        }
        return annotations;
    }

    /**
     * A result file, {@code [{"question_id", "answer"}]}.
     *
     * @return question id → predicted answer, in file order
     */
    public static Map<Long, String> readPredictions(Path file) {
        JsonNode entries = read(file);
        if (!entries.isArray()) {
            throw new BadInputException(file + ": not a VQA results file (a list of {\"question_id\", \"answer\"} "
                    + "objects)");
        }
        if (entries.isEmpty()) {
            throw new BadInputException(file + ": no predictions (an empty list)");
        }
        Map<Long, String> predictions = new LinkedHashMap<>();
        Map<Long, String> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Entry e = new Entry(file, "[" + i + "]", entries.get(i));
            long questionId = e.integer("question_id");
            e.unique(seen, "question_id", questionId);
            predictions.put(questionId, e.text("answer"));
        }
        return predictions;
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new BadInputException(file + ": " + (Files.exists(file) ? "not a file" : "no such file"));
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
            throw new BadInputException(file + ": empty file");
        }
        return tree;
    }

    /** The non-empty list {@code tree[key]} of a top-level object. */
    private static JsonNode listField(Path file, JsonNode tree, String key) {
        JsonNode list = tree.get(key);
        if (!tree.isObject() || list == null || !list.isArray()) {
            throw new BadInputException(file + ": not a VQA " + key + " file (an object with a \"" + key
                    + "\" list)");
        }
        if (list.isEmpty()) {
            throw new BadInputException(file + ": no " + key + " (\"" + key + "\" is an empty list)");
        }
        return list;
    }

    /** One JSON object of a list, and where it is, for the messages. */
    private record Entry(Path file, String where, JsonNode node) {

        Entry {
            if (!node.isObject()) {
                throw new BadInputException(file + ": " + where + " is not a JSON object");
            }
        }

        JsonNode field(String name) {
            JsonNode value = node.get(name);
            if (value == null) {
                throw problem("no \"" + name + "\"");
            }
            return value;
        }

        long integer(String name) {
            JsonNode value = field(name);
            if (!value.isIntegralNumber() || !value.canConvertToLong()) {
                throw problem("\"" + name + "\" is not an integer: " + value);
            }
            return value.longValue();
        }

        String text(String name) {
            JsonNode value = field(name);
            if (!value.isTextual()) {
                throw problem("\"" + name + "\" is not a string: " + value);
            }
            return value.textValue();
        }

        /** Records that this entry has {@code id} as {@code field}, refusing an id an earlier entry has. */
        void unique(Map<Long, String> seen, String field, long id) {
            String earlier = seen.putIfAbsent(id, where);
            if (earlier != null) {
                throw problem("duplicate " + field + " " + id + " (also " + earlier + ")");
            }
        }

        BadInputException problem(String problem) {
            return new BadInputException(file + ": " + where + ": " + problem);
        }
    }
}
