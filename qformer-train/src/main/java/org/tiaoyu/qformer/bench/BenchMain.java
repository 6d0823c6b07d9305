package org.tiaoyu.qformer.bench;

/** Runs the engine benchmarks without the command line (for comparing native variants by class path). */
public final class BenchMain {
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        System.out.println(LinearBench.run(512, 768, 3072, 3, steps).toJsonLine());
        System.out.println(AttentionBench.run(8, 64, 768, 12, 3, steps).toJsonLine());
    }
}
