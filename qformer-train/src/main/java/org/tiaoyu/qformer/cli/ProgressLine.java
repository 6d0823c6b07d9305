package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A command's progress on one stderr line, rewritten in place ({@code "generate: 24/300 images, 3.1 images/s"}),
 * when there is a console; silent otherwise, so that logs and pipes get no carriage returns.
 */
final class ProgressLine {

    private final PrintWriter err;
    private final String label;
    private final String unit;
    private final boolean console = System.console() != null;
    private final long start = System.nanoTime();
    private boolean printed;

    /** @param unit what is counted, plural ({@code "images"}) */
    ProgressLine(PrintWriter err, String label, String unit) {
        this.err = err;
        this.label = label;
        this.unit = unit;
    }

    /** Shows {@code done} of {@code total}, with {@code detail} (e.g. {@code "2 skipped"}) when it is not empty. */
    void update(long done, long total, String detail) {
        if (!console) {
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf(Locale.ROOT, "\r%s: %d/%d %s%s, %.1f %s/s", label, done, total, unit,
                detail.isEmpty() ? "" : " (" + detail + ")", seconds > 0 ? done / seconds : 0.0, unit);
        err.flush();
        printed = true;
    }

    /** Ends the line. */
    void finish() {
        if (printed) {
            err.println();
            err.flush();
        }
    }
}
