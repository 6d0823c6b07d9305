package org.tiaoyu.qformer.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Timings of one benchmark: milliseconds per unit of work (one training step, one batch, one call), the effective
 * GFLOP/s from the unit's analytic matrix-product FLOPs, and the process's peak resident memory (DESIGN §7) and
 * its resident memory after the last run (the steady state, without the first run's learning of an arena's size).
 */
public record BenchResult(String name, double[] millis, double flopsPerUnit, long peakRssMb, long endRssMb,
        Map<String, Object> details) {

    public double median() {
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    public double min() {
        return Arrays.stream(millis).min().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(millis).max().orElse(Double.NaN);
    }

    /** Effective GFLOP/s at the median time. */
    public double gflops() {
        return flopsPerUnit / (median() * 1e6);
    }

    /** The one JSON line every {@code qformer bench} ends with. */
    public String toJsonLine() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("bench", name);
        json.put("median_ms", round(median()));
        json.put("min_ms", round(min()));
        json.put("max_ms", round(max()));
        json.put("gflops", round(gflops()));
        json.put("peak_rss_mb", peakRssMb);
        json.put("end_rss_mb", endRssMb);
        json.putAll(details);
        try {
            return new ObjectMapper().writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }
}
