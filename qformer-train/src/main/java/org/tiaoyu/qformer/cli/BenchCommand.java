package org.tiaoyu.qformer.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.tiaoyu.qformer.bench.AttentionBench;
import org.tiaoyu.qformer.bench.BenchResult;
import org.tiaoyu.qformer.bench.GemmBench;
import org.tiaoyu.qformer.bench.GenerateBench;
import org.tiaoyu.qformer.bench.LinearBench;
import org.tiaoyu.qformer.bench.OpsBench;
import org.tiaoyu.qformer.bench.Stage1Bench;
import org.tiaoyu.qformer.bench.VisionBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code qformer bench X}: times a unit of work after warm-up and ends with one JSON line (DESIGN §7), its shape
 * taken from flags so the same work can be timed against another implementation.
 */
@Command(name = "bench", description = "Time the engine and models; ends with one JSON line.",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Linear.class, BenchCommand.Attention.class,
            BenchCommand.OpsKernels.class, BenchCommand.Stage1.class, BenchCommand.Vision.class,
            BenchCommand.Generate.class})
final class BenchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing benchmark (gemm, linear, attention, ops, stage1, vision, "
                + "generate)");
    }

    /** What every benchmark shares: warm-up and measured runs, flag checks, and the report. */
    abstract static class Benchmark implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        // Defaults are the fields' initial values, so a benchmark may change them in its constructor.
        @Option(names = "--warmup", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
        int warmup = 3;

        @Option(names = "--steps", description = "Timed runs (default ${DEFAULT-VALUE}).")
        int steps = 10;

        /** Whether the shape flags make sense; {@link #usage()} says what they must be otherwise. */
        abstract boolean validShape();

        abstract String usage();

        abstract BenchResult run();

        @Override
        public Integer call() {
            if (steps < 1 || warmup < 0) {
                throw new ParameterException(spec.commandLine(), "--steps must be >= 1 and --warmup >= 0");
            }
            if (!validShape()) {
                throw new ParameterException(spec.commandLine(), usage());
            }
            BenchResult result = run();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%s: median %.2f ms (min %.2f, max %.2f), %.1f GFLOP/s, peak RSS %d MB%n", result.name(),
                    result.median(), result.min(), result.max(), result.gflops(), result.peakRssMb());
            out.println(result.toJsonLine());
            out.flush();
            return ExitStatus.OK;
        }
    }

    @Command(name = "gemm", description = "One fp32 product [m×k]·[n×k]ᵀ through Nd4j.gemm (the BLAS ceiling).")
    static final class Gemm extends Benchmark {
        @Option(names = "--m", defaultValue = "2048", description = "Rows of the result (default ${DEFAULT-VALUE}).")
        int m;

        @Option(names = "--n", defaultValue = "2048",
                description = "Columns of the result (default ${DEFAULT-VALUE}).")
        int n;

        @Option(names = "--k", defaultValue = "2048", description = "Inner size (default ${DEFAULT-VALUE}).")
        int k;

        @Override
        boolean validShape() {
            return m > 0 && n > 0 && k > 0;
        }

        @Override
        String usage() {
            return "--m, --n and --k must be positive";
        }

        @Override
        BenchResult run() {
            return GemmBench.run(m, n, k, warmup, steps);
        }
    }

    @Command(name = "linear", description = "Forward + backward of x[rows×in]·Wᵀ[in×out] + b (3 gemms).")
    static final class Linear extends Benchmark {
        @Option(names = "--rows", defaultValue = "512", description = "Rows of x (default ${DEFAULT-VALUE}).")
        int rows;

        @Option(names = "--in", defaultValue = "768", description = "Input features (default ${DEFAULT-VALUE}).")
        int in;

        @Option(names = "--out", defaultValue = "3072", description = "Output features (default ${DEFAULT-VALUE}).")
        int out;

        @Override
        boolean validShape() {
            return rows > 0 && in > 0 && out > 0;
        }

        @Override
        String usage() {
            return "--rows, --in and --out must be positive";
        }

        @Override
        BenchResult run() {
            return LinearBench.run(rows, in, out, warmup, steps);
        }
    }

    @Command(name = "attention",
            description = "Forward + backward of one Q-Former self-attention block with a 2-D additive mask.")
    static final class Attention extends Benchmark {
        @Option(names = "--batch", defaultValue = "8", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--seq", defaultValue = "64",
                description = "Sequence length, queries + text (default ${DEFAULT-VALUE}).")
        int seq;

        @Option(names = "--hidden", defaultValue = "768", description = "Hidden size (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--heads", defaultValue = "12", description = "Attention heads (default ${DEFAULT-VALUE}).")
        int heads;

        @Override
        boolean validShape() {
            return batch > 0 && seq > 0 && heads > 0 && hidden > 0 && hidden % heads == 0;
        }

        @Override
        String usage() {
            return "--batch, --seq, --heads must be positive and --hidden a positive multiple of --heads";
        }

        @Override
        BenchResult run() {
            return AttentionBench.run(batch, seq, hidden, heads, warmup, steps);
        }
    }

    @Command(name = "ops", description = "Forward + backward of exact GELU, LayerNorm and last-axis softmax (fp32).")
    static final class OpsKernels extends Benchmark {
        @Option(names = "--rows", defaultValue = "512",
                description = "Rows (tokens) for GELU and LayerNorm (default ${DEFAULT-VALUE}).")
        int rows;

        @Option(names = "--hidden", defaultValue = "768",
                description = "LayerNorm width (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--ffn", defaultValue = "3072", description = "GELU width (default ${DEFAULT-VALUE}).")
        int ffn;

        @Option(names = "--batch", defaultValue = "8", description = "Softmax batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--heads", defaultValue = "12", description = "Softmax heads (default ${DEFAULT-VALUE}).")
        int heads;

        @Option(names = "--seq", defaultValue = "64",
                description = "Softmax sequence length: [batch, heads, seq, seq] (default ${DEFAULT-VALUE}).")
        int seq;

        @Override
        boolean validShape() {
            return rows > 0 && hidden > 0 && ffn > 0 && batch > 0 && heads > 0 && seq > 0;
        }

        @Override
        String usage() {
            return "--rows, --hidden, --ffn, --batch, --heads and --seq must be positive";
        }

        OpsKernels() {
            warmup = 20; // the JIT needs about 15 runs to compile the kernels
        }

        @Override
        BenchResult run() {
            return OpsBench.run(rows, hidden, ffn, batch, heads, seq, warmup, steps);
        }
    }

    @Command(name = "stage1", description = "One stage-1 training step: ITC + ITM + ITG in LAVIS's four passes, "
            + "backward, AdamW; random image features (defaults: BERT-base Q-Former on ViT-g features).")
    static final class Stage1 extends Benchmark {
        @Option(names = "--batch", defaultValue = "8", description = "Batch size (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--layers", defaultValue = "12", description = "Q-Former layers (default ${DEFAULT-VALUE}).")
        int layers;

        @Option(names = "--hidden", defaultValue = "768", description = "Hidden size (default ${DEFAULT-VALUE}).")
        int hidden;

        @Option(names = "--heads", defaultValue = "12", description = "Attention heads (default ${DEFAULT-VALUE}).")
        int heads;

        @Option(names = "--ffn", defaultValue = "3072", description = "Feed-forward size (default ${DEFAULT-VALUE}).")
        int ffn;

        @Option(names = "--queries", defaultValue = "32", description = "Query tokens (default ${DEFAULT-VALUE}).")
        int queries;

        @Option(names = "--text-len", defaultValue = "32", description = "Text tokens (default ${DEFAULT-VALUE}).")
        int textLength;

        @Option(names = "--image-tokens", defaultValue = "257",
                description = "Image feature tokens (default ${DEFAULT-VALUE}).")
        int imageTokens;

        @Option(names = "--vision-width", defaultValue = "1408",
                description = "Image feature width (default ${DEFAULT-VALUE}).")
        int visionWidth;

        @Option(names = "--cross-freq", defaultValue = "2",
                description = "Cross-attention every N layers (default ${DEFAULT-VALUE}).")
        int crossFrequency;

        @Option(names = "--vocab", defaultValue = "30522", description = "Text vocabulary (default ${DEFAULT-VALUE}).")
        int vocab;

        Stage1() {
            steps = 5; // a step takes seconds
            warmup = 1;
        }

        @Override
        boolean validShape() {
            return batch > 1 && layers > 0 && heads > 0 && hidden % heads == 0 && ffn > 0 && queries > 0
                    && textLength > 1 && imageTokens > 0 && visionWidth > 0 && crossFrequency > 0 && vocab > 2;
        }

        @Override
        String usage() {
            return "--batch must be at least 2, --text-len at least 2, --hidden a multiple of --heads, and every "
                    + "size positive";
        }

        @Override
        BenchResult run() {
            return Stage1Bench.run(new Stage1Bench.Shape(batch, layers, hidden, heads, ffn, queries, textLength,
                    imageTokens, visionWidth, crossFrequency, vocab, 256), warmup, steps);
        }
    }

    @Command(name = "vision", description = "One batch through a frozen ViT at 224 px in inference mode (random "
            + "weights): images per second.")
    static final class Vision extends Benchmark {
        @Option(names = "--shape", defaultValue = "VIT_G_14",
                description = "VIT_L_14 or VIT_G_14 (default ${DEFAULT-VALUE}).")
        VisionBench.Shape shape;

        @Option(names = "--batch", defaultValue = "8", description = "Images per batch (default ${DEFAULT-VALUE}).")
        int batch;

        Vision() {
            steps = 3; // a ViT-g batch takes seconds
            warmup = 1;
        }

        @Override
        boolean validShape() {
            return batch > 0;
        }

        @Override
        String usage() {
            return "--batch must be positive";
        }

        @Override
        BenchResult run() {
            return VisionBench.run(shape, batch, warmup, steps);
        }
    }

    @Command(name = "generate", description = "Greedy generation through a BLIP-2 shaped model with random weights "
            + "(ViT-L/14, BLIP-2's Q-Former with 32 queries, OPT-125m or Flan-T5-small): image, prompt and per-token "
            + "times, tokens per second; never stops at EOS.")
    static final class Generate extends Benchmark {
        @Option(names = "--lm", defaultValue = "opt", description = "opt or t5 (default ${DEFAULT-VALUE}).")
        String lm;

        @Option(names = "--batch", defaultValue = "1", description = "Images per batch (default ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--prompt-tokens", defaultValue = "8",
                description = "Text tokens after the image tokens (default ${DEFAULT-VALUE}).")
        int promptTokens;

        @Option(names = "--new-tokens", defaultValue = "30",
                description = "Tokens generated per image, exactly (default ${DEFAULT-VALUE}).")
        int newTokens;

        @Option(names = "--tiny", description = "Tiny shapes instead of the real ones (for tests).")
        boolean tiny;

        Generate() {
            steps = 3; // a batch-8 run takes seconds
            warmup = 1;
        }

        @Override
        boolean validShape() {
            return (lm.equals("opt") || lm.equals("t5")) && batch > 0 && promptTokens >= 0 && newTokens >= 2;
        }

        @Override
        String usage() {
            return "--lm must be opt or t5, --batch positive, --prompt-tokens at least 0 and --new-tokens at least 2";
        }

        @Override
        BenchResult run() {
            GenerateBench.Lm which = lm.equals("opt") ? GenerateBench.Lm.OPT : GenerateBench.Lm.T5;
            GenerateBench.Shape shape = tiny ? GenerateBench.Shape.tiny(which) : GenerateBench.Shape.real(which);
            return GenerateBench.run(shape, batch, promptTokens, newTokens, warmup, steps);
        }
    }
}
