package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.data.SkippedRecord;
import org.tiaoyu.qformer.eval.RetrievalEvaluator;
import org.tiaoyu.qformer.eval.RetrievalGallery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer eval caption|vqa|retrieval} (DESIGN §5 "Evaluation"): thin shells over {@code org.tiaoyu.qformer.eval}.
 * Progress goes to stderr; the last line on stdout is the figures as one JSON object.
 */
@Command(name = "eval", description = "Evaluate as the papers' tables are computed (docs/evaluation.md).",
        subcommands = {EvalCommand.Retrieval.class})
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
    static void logSkipped(java.util.List<SkippedRecord> skipped) {
        skipped.stream().limit(10).forEach(s -> LOG.warn("skipped {}: {}", s.source(), s.reason()));
        if (skipped.size() > 10) {
            LOG.warn("skipped {} records in all", skipped.size());
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
                description = "Images or texts per batch, pairs per ITM pass (default: ${DEFAULT-VALUE}).")
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
