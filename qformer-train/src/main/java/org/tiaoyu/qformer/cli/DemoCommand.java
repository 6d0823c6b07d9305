package org.tiaoyu.qformer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.demo.Demo;
import org.tiaoyu.qformer.demo.DemoReport;
import org.tiaoyu.qformer.train.StepMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code qformer demo}: BLIP-2 trained end to end on generated shapes ({@link Demo}), the figures before and after
 * beside chance. Progress (the phases, a line per phase) goes to stderr.
 */
@Command(name = "demo", description = "Train a tiny BLIP-2 end to end on generated pictures of shapes (no download) "
        + "and show what it learnt on pictures it never saw.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Where the run goes (data, models, checkpoints); a new or empty folder. Default: a new "
                    + "folder under the system's temporary directory.")
    private Path out;

    @Option(names = "--quick", description = "A smoke run of well under a minute: it beats chance, no more.")
    private boolean quick;

    @Option(names = "--json", description = "End with one JSON line: t2i_r1, i2t_r1, caption_accuracy, seconds.")
    private boolean json;

    @Option(names = "--seed", paramLabel = "S", description = "Everything random follows from it (default: the "
            + "settings').")
    private Long seed;

    @Override
    public Integer call() throws IOException {
        Path dir = outputDir();
        Demo.Settings base = quick ? Demo.Settings.quick() : Demo.Settings.standard();
        Demo.Settings settings = seed == null ? base : new Demo.Settings(seed, base.trainImages(),
                base.galleryImages(), base.visionSteps(), base.languageSteps(), base.stage1Steps(),
                base.stage2Steps());
        PrintWriter err = spec.commandLine().getErr();
        Demo.Result r;
        try (PhaseLines progress = new PhaseLines(err)) {
            r = Demo.run(settings, dir, progress);
        }
        Path report = DemoReport.write(r);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "held-out pictures (colour-form pairs never trained on), %s%n", dir);
        stdout.printf(Locale.ROOT, "%-26s %8s %8s %8s%n", "", "chance", "before", "after");
        row(stdout, "text->image recall@1", r.chance().t2iR1(), r.before().t2iR1(), r.after().t2iR1());
        row(stdout, "image->text recall@1", r.chance().i2tR1(), r.before().i2tR1(), r.after().i2tR1());
        row(stdout, "caption accuracy", r.chance().captionAccuracy(), r.before().captionAccuracy(),
                r.after().captionAccuracy());
        row(stdout, "attributes named right", r.chance().attributeAccuracy(), r.before().attributeAccuracy(),
                r.after().attributeAccuracy());
        r.examples().stream().limit(5).forEach(e -> stdout.printf(Locale.ROOT, "  %s%n    wrote: %s%n    truth: %s%n",
                e.right() ? "right" : "wrong", e.generated(), e.reference()));
        stdout.printf(Locale.ROOT, "%.0f s; the report: %s%n", r.seconds(), report);
        if (json) {
            ObjectNode line = new ObjectMapper().createObjectNode();
            line.put("t2i_r1", r.after().t2iR1());
            line.put("i2t_r1", r.after().i2tR1());
            line.put("caption_accuracy", r.after().captionAccuracy());
            line.put("attribute_accuracy", r.after().attributeAccuracy());
            line.put("seconds", r.seconds());
            stdout.println(line);
        }
        return ExitStatus.OK;
    }

    private static void row(PrintWriter out, String name, double chance, double before, double after) {
        out.printf(Locale.ROOT, "%-26s %8.3f %8.3f %8.3f%n", name, chance, before, after);
    }

    private Path outputDir() throws IOException {
        if (out == null) {
            return Files.createTempDirectory("qformer-demo-");
        }
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw new BadInputException(out + ": not a folder (--out)");
            }
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new BadInputException(out + ": not empty; the demo writes into a new or empty folder "
                            + "(--out)");
                }
            }
        }
        return out;
    }

    /** The phases on stderr: a heading each, and one progress line for its steps. */
    private static final class PhaseLines implements Demo.Progress, AutoCloseable {
        private final PrintWriter err;
        private ProgressLine line;
        private String phase;

        PhaseLines(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void phase(String name, int index, int total) {
            close();
            phase = name;
            err.printf(Locale.ROOT, "[%d/%d] %s%n", index, total, name);
            err.flush();
            line = new ProgressLine(err, name, "steps");
        }

        @Override
        public void pretrainingStep(String model, int step, int steps, double loss) {
            line.update(step, steps, String.format(Locale.ROOT, "loss %.3f", loss));
        }

        @Override
        public void onStep(StepMetrics m) {
            line.update(m.step(), m.totalSteps(), String.format(Locale.ROOT, "loss %.3f", m.loss()));
        }

        @Override
        public void onEvaluationProgress(String what, long done, long total) {
            line.update(done, total, what);
        }

        @Override
        public void close() {
            if (line != null) {
                line.finish();
            }
        }
    }
}
