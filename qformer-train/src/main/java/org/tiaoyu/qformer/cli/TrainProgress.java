package org.tiaoyu.qformer.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.train.StepMetrics;
import org.tiaoyu.qformer.train.TrainResult;
import org.tiaoyu.qformer.train.TrainingCallback;

/**
 * A training run's progress: on a terminal, a progress bar (me.tongfei:progressbar) with the step, epoch, losses,
 * learning rate, samples/s and ETA; otherwise an INFO log line every step for short runs and every 1% of the steps
 * for long ones, so logs and pipes get no carriage returns.
 */
final class TrainProgress implements TrainingCallback {

    private static final Logger LOG = LoggerFactory.getLogger("org.tiaoyu.qformer.train.progress");

    private final PrintWriter err;
    private final boolean console = System.console() != null;
    private ProgressBar bar;
    private int every = 1;

    TrainProgress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void onStart(int startStep, int totalSteps) {
        every = totalSteps <= 100 ? 1 : totalSteps / 100;
        if (console) {
            PrintStream stream = new PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int b) {
                    err.write(b);
                }

                @Override
                public void flush() {
                    err.flush();
                }
            }, true);
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps).startsFrom(startStep,
                    java.time.Duration.ZERO).setStyle(ProgressBarStyle.ASCII).setUnit(" steps", 1)
                    .setConsumer(new ConsoleProgressBarConsumer(stream)).build();
        }
    }

    @Override
    public void onStep(StepMetrics m) {
        String line = describe(m);
        if (bar != null) {
            bar.stepTo(m.step());
            bar.setExtraMessage(line);
        } else if (m.step() % every == 0 || m.step() == m.totalSteps() || m.skipped() != null) {
            LOG.info("step {}/{} {}", m.step(), m.totalSteps(), line);
        }
    }

    /** The validation's phases, on the bar's message line (the trainer logs the figures). */
    @Override
    public void onEvaluationProgress(String phase, long done, long total) {
        if (bar != null) {
            bar.setExtraMessage(String.format(Locale.ROOT, "validation: %s %d/%d", phase, done, total));
        } else if (done == total) {
            LOG.info("validation: {} {}/{}", phase, done, total);
        }
    }

    @Override
    public void onEnd(TrainResult result) {
        if (bar != null) {
            bar.close();
        }
    }

    static String describe(StepMetrics m) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "epoch %.2f loss %.4f", m.epoch(), m.loss()));
        for (Map.Entry<String, Double> e : new java.util.TreeMap<>(m.losses()).entrySet()) {
            b.append(String.format(Locale.ROOT, " %s %.4f", e.getKey().replaceFirst("^loss_", ""), e.getValue()));
        }
        b.append(String.format(Locale.ROOT, " lr %.3g grad_norm %.3g %.1f samples/s", m.lr(), m.gradNorm(),
                m.samplesPerSecond()));
        if (m.skipped() != null) {
            b.append(" (skipped: ").append(m.skipped()).append(')');
        }
        return b.toString();
    }
}
