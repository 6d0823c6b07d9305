package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.AtomicFile;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.data.SkippedRecord;
import org.tiaoyu.qformer.eval.CaptionEvaluation;
import org.tiaoyu.qformer.eval.CaptionMetrics;
import org.tiaoyu.qformer.eval.CaptionScores;
import org.tiaoyu.qformer.eval.CocoCaptionFiles;
import org.tiaoyu.qformer.eval.EvalProgress;
import org.tiaoyu.qformer.eval.ModelPredictions;
import org.tiaoyu.qformer.eval.RetrievalEvaluator;
import org.tiaoyu.qformer.eval.RetrievalGallery;
import org.tiaoyu.qformer.eval.VqaAccuracy;
import org.tiaoyu.qformer.eval.VqaFiles;
import org.tiaoyu.qformer.eval.VqaQuestion;
import org.tiaoyu.qformer.eval.VqaResult;
import org.tiaoyu.qformer.pipeline.Blip2Captioner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer eval caption|vqa|retrieval} (DESIGN §5 "Evaluation"): thin shells over {@code org.tiaoyu.qformer.eval}.
 * Progress goes to stderr; the last line on stdout is the figures as one JSON object.
 */
@Command(name = "eval", description = "Evaluate as the papers' tables are computed (docs/evaluation.md).",
        subcommands = {EvalCommand.Caption.class, EvalCommand.Vqa.class, EvalCommand.Retrieval.class})
final class EvalCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(EvalCommand.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "missing what to evaluate (caption, vqa or retrieval)");
    }

    /** Warns about skipped records, by name (the first few) and in number. */
    static void logSkipped(List<SkippedRecord> skipped) {
        skipped.stream().limit(10).forEach(s -> LOG.warn("skipped {}: {}", s.source(), s.reason()));
        if (skipped.size() > 10) {
            LOG.warn("skipped {} records in all", skipped.size());
        }
    }

    /** Writes predictions as a JSON list, atomically. */
    static void writeJson(Path file, Object value) throws java.io.IOException {
        AtomicFile.write(file, tmp -> JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), value));
    }

    /** The model's flags for commands that can generate their predictions first. */
    static final class ModelOptions {
        @Option(names = "--model", paramLabel = "DIR",
                description = "A Blip2ForConditionalGeneration directory (or stage-2 checkpoint) that makes the "
                        + "predictions first, with LAVIS's settings.")
        Path model;

        @Option(names = "--image-root", paramLabel = "DIR", description = "Where the images are.")
        Path imageRoot;

        @Option(names = "--out", paramLabel = "FILE", description = "Where to write the model's predictions.")
        Path out;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8",
                description = "Images per generation batch (default: ${DEFAULT-VALUE}).")
        int batchSize;

        void check(Path predictions) throws java.io.IOException {
            if ((predictions == null) == (model == null)) {
                throw new BadInputException("give --predictions or --model, one of them");
            }
            if (model == null && (imageRoot != null || out != null)) {
                throw new BadInputException((imageRoot != null ? "--image-root" : "--out")
                        + ": only with --model");
            }
            if (model != null && imageRoot == null) {
                throw new BadInputException("--image-root: needed with --model (where the images are)");
            }
            if (batchSize < 1) {
                throw new BadInputException("--batch-size: must be at least 1");
            }
            if (out != null) {
                AtomicFile.requireWritable(out);
            }
        }

        /** The images to predict for, each of which must exist ({@code flags}: the options that name them). */
        void requireImages(List<Path> images, String flags) {
            for (Path image : images) {
                if (!Files.isRegularFile(image)) {
                    throw new BadInputException(image + ": no such image (" + flags + ")");
                }
            }
        }

        /** What the model generates, with its progress on stderr. */
        List<String> generate(PrintWriter err, BiFunction<Blip2Captioner, EvalProgress, List<String>> predict) {
            try (Blip2Captioner captioner = Blip2Captioner.load(model);
                    EvalProgressLine progress = new EvalProgressLine(err)) {
                return predict.apply(captioner, progress);
            }
        }

        /**
         * The predictions by id, written with {@code --out} as the results layout has them: {@code [{idKey: id,
         * textKey: text}]}.
         */
        <K> Map<K, String> keep(List<K> ids, List<String> texts, String idKey, String textKey)
                throws java.io.IOException {
            Map<K, String> byId = new LinkedHashMap<>();
            List<Map<String, Object>> results = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                byId.put(ids.get(i), texts.get(i));
                Map<String, Object> line = new LinkedHashMap<>();
                line.put(idKey, ids.get(i));
                line.put(textKey, texts.get(i));
                results.add(line);
            }
            if (out != null) {
                writeJson(out, results);
            }
            return byId;
        }
    }

    @Command(name = "caption", description = "BLEU-1..4, ROUGE-L and CIDEr-D as pycocoevalcap computes them (PTB "
            + "tokenisation), of a COCO results file or of a model's captions (prompt \"a photo of\", 5 beams, 8 "
            + "to 30 tokens).")
    static final class Caption implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Option(names = "--predictions", paramLabel = "FILE", description = "COCO results: [{image_id, caption}].")
        private Path predictions;

        @Option(names = "--references", required = true, paramLabel = "FILE",
                description = "COCO captions: images [{id, file_name}] and annotations [{image_id, caption}].")
        private Path references;

        @Option(names = "--per-image", description = "Also each image's scores (\"per_image\": metric → image id "
                + "→ score).")
        private boolean perImage;

        @picocli.CommandLine.Mixin
        private ModelOptions model;

        @Override
        public Integer call() throws java.io.IOException {
            model.check(predictions);
            Map<Object, List<String>> refs;
            Map<Object, String> preds;
            if (predictions != null) {
                CocoCaptionFiles files = CocoCaptionFiles.read(references, predictions);
                refs = files.references();
                preds = files.predictions();
            } else {
                refs = CocoCaptionFiles.readReferences(references);
                Map<Object, String> names = CocoCaptionFiles.readImageFiles(references);
                List<Object> ids = refs.keySet().stream().filter(id -> !refs.get(id).isEmpty()).toList();
                if (ids.isEmpty()) {
                    throw new BadInputException(references + ": no image has a reference caption");
                }
                List<Path> images = ids.stream().map(id -> model.imageRoot.resolve(names.get(id))).toList();
                model.requireImages(images, "--image-root");
                List<String> captions = model.generate(spec.commandLine().getErr(), (captioner, progress) ->
                        ModelPredictions.captions(captioner, images, ModelPredictions.CAPTION_PROMPT,
                                ModelPredictions.captionSettings(), model.batchSize, progress));
                preds = model.keep(ids, captions, "image_id", "caption");
            }
            CaptionEvaluation<Object> result = CaptionMetrics.tokenizing().evaluate(refs, preds);
            ObjectNode out = JSON.createObjectNode();
            result.corpus().asMap().forEach(out::put);
            if (perImage) {
                ObjectNode byMetric = out.putObject("per_image");
                for (String metric : CaptionScores.NAMES) {
                    ObjectNode scores = byMetric.putObject(metric);
                    result.perImage().forEach((id, s) -> scores.put(id.toString(), s.asMap().get(metric)));
                }
            }
            out.put("images", preds.size());
            spec.commandLine().getOut().println(out);
            return ExitStatus.OK;
        }
    }

    @Command(name = "vqa", description = "VQAv2 accuracy as the official evaluation computes it, of a result file "
            + "or of a model's answers (prompt \"Question: {} Short answer:\", 5 beams, 1 to 10 tokens).")
    static final class Vqa implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Option(names = "--predictions", paramLabel = "FILE", description = "Results: [{question_id, answer}].")
        private Path predictions;

        @Option(names = "--questions", required = true, paramLabel = "FILE",
                description = "The official question file.")
        private Path questions;

        @Option(names = "--annotations", required = true, paramLabel = "FILE",
                description = "The official annotation file (ten answers per question).")
        private Path annotations;

        @Option(names = "--image-pattern", paramLabel = "PATTERN",
                description = "With --model: an image's file name from its id, as Java's String.format writes it "
                        + "(default: the official COCO_<data_subtype>_%%012d.jpg).")
        private String imagePattern;

        @picocli.CommandLine.Mixin
        private ModelOptions model;

        @Override
        public Integer call() throws java.io.IOException {
            model.check(predictions);
            VqaResult result;
            if (predictions != null) {
                result = VqaAccuracy.evaluate(annotations, questions, predictions);
            } else {
                List<VqaQuestion> asked = VqaFiles.readQuestions(questions);
                String pattern = imagePattern != null ? imagePattern : officialPattern();
                List<Path> images = asked.stream().map(q -> model.imageRoot.resolve(String.format(
                        java.util.Locale.ROOT, pattern, q.imageId()))).toList();
                model.requireImages(images, "--image-root, --image-pattern");
                List<String> answers = model.generate(spec.commandLine().getErr(), (captioner, progress) ->
                        ModelPredictions.answers(captioner, images, asked.stream().map(VqaQuestion::question)
                                .toList(), ModelPredictions.QUESTION_TEMPLATE, ModelPredictions.answerSettings(),
                                model.batchSize, progress));
                Map<Long, String> byId = model.keep(asked.stream().map(VqaQuestion::questionId).toList(), answers,
                        "question_id", "answer");
                try {
                    result = VqaAccuracy.evaluate(VqaFiles.readAnnotations(annotations), byId);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(annotations + ": " + e.getMessage() + " (questions: " + questions
                            + ")");
                }
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("overall", result.overall().unrounded());
            ObjectNode perAnswerType = out.putObject("perAnswerType");
            result.perAnswerType().forEach((type, p) -> perAnswerType.put(type, p.unrounded()));
            ObjectNode perQuestionType = out.putObject("perQuestionType");
            result.perQuestionType().forEach((type, p) -> perQuestionType.put(type, p.unrounded()));
            out.put("questions", result.perQuestion().size());
            spec.commandLine().getOut().println(out);
            return ExitStatus.OK;
        }

        /** {@code COCO_<data_subtype>_%012d.jpg}, the official layout, from the question file's data_subtype. */
        private String officialPattern() throws java.io.IOException {
            JsonNode subtype = JSON.readTree(questions.toFile()).get("data_subtype");
            if (subtype == null || !subtype.isTextual()) {
                throw new BadInputException(questions + ": no data_subtype to name the images by; give "
                        + "--image-pattern");
            }
            return "COCO_" + subtype.asText() + "_%012d.jpg";
        }
    }

    @Command(name = "retrieval", description = "Image-text retrieval recall (LAVIS's protocol: ITC over all pairs, "
            + "the top k of each row re-ranked with ITM) of a Blip2ForImageTextRetrieval directory or a stage-1 "
            + "checkpoint.")
    static final class Retrieval implements Callable<Integer> {

        @Spec
        private CommandSpec spec;

        @Option(names = "--model", required = true, paramLabel = "DIR",
                description = "A Blip2ForImageTextRetrieval directory or a stage-1 checkpoint.")
        private Path model;

        @Option(names = "--annotations", required = true, paramLabel = "FILE",
                description = "Captions: COCO (images + annotations), a Karpathy-split list or JSONL.")
        private Path annotations;

        @Option(names = "--image-root", paramLabel = "DIR",
                description = "What image paths are relative to (default: the annotation file's folder).")
        private Path imageRoot;

        @Option(names = "--k-test", paramLabel = "K", defaultValue = "" + RetrievalEvaluator.DEFAULT_K_TEST,
                description = "Candidates per row re-ranked with ITM (default: ${DEFAULT-VALUE}, LAVIS's).")
        private int kTest;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32",
                description = "Images or texts encoded at once (default: ${DEFAULT-VALUE}).")
        private int batchSize;

        @Override
        public Integer call() {
            if (kTest < 1 || batchSize < 1) {
                throw new BadInputException((kTest < 1 ? "--k-test" : "--batch-size") + ": must be at least 1");
            }
            long start = System.nanoTime();
            CaptionDataset data = CaptionDataset.read(annotations, null, imageRoot,
                    new CaptionCleaner(CaptionCleaner.DEFAULT_MAX_WORDS), r -> Files.isRegularFile(r.file()) ? null
                            : "image " + r.file() + ": no such file");
            logSkipped(data.skipped());
            if (data.records().isEmpty()) {
                throw new BadInputException(annotations + ": no usable caption (" + data.skipped().size()
                        + " skipped)");
            }
            RetrievalGallery gallery = RetrievalGallery.of(data.records());
            RetrievalEvaluator.Result result;
            try (EvalProgressLine progress = new EvalProgressLine(spec.commandLine().getErr())) {
                result = RetrievalEvaluator.evaluate(model, gallery, new RetrievalEvaluator.Settings(kTest,
                        batchSize), progress);
            }
            ObjectNode out = JSON.createObjectNode();
            result.metrics().asMap().forEach(out::put);
            out.put("images", gallery.imageCount());
            out.put("texts", gallery.textCount());
            out.put("k_test", kTest);
            out.put("skipped_records", data.skipped().size());
            out.put("seconds", (System.nanoTime() - start) / 1e9);
            spec.commandLine().getOut().println(out);
            return ExitStatus.OK;
        }
    }
}
