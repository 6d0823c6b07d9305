package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import org.tiaoyu.qformer.eval.EvalProgress;

/** An evaluation's progress on stderr: one {@link ProgressLine} per phase, ended when the next phase starts. */
final class EvalProgressLine implements EvalProgress, AutoCloseable {

    private final PrintWriter err;
    private String phase;
    private ProgressLine line;

    EvalProgressLine(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void update(String phase, long done, long total) {
        if (!phase.equals(this.phase)) {
            close();
            this.phase = phase;
            line = new ProgressLine(err, "eval", phase);
        }
        line.update(done, total, "");
    }

    @Override
    public void close() {
        if (line != null) {
            line.finish();
        }
    }
}
