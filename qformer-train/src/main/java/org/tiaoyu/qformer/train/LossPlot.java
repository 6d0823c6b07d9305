package org.tiaoyu.qformer.train;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.tiaoyu.qformer.core.io.AtomicFile;

/**
 * {@code loss.png} beside the checkpoints: every loss of {@code metrics.jsonl} against the step (the last line of a
 * step counts, so a resumed run's plot is the whole run), drawn with XChart. Redrawn at every checkpoint and at the
 * end of a run.
 */
public final class LossPlot implements TrainingCallback {

    public static final String FILE = "loss.png";

    static {
        System.setProperty("java.awt.headless", "true");   // drawing needs no display
    }

    private final Path outputDir;

    public LossPlot(Path outputDir) {
        this.outputDir = outputDir;
    }

    @Override
    public void onCheckpoint(int step, Path dir) {
        draw();
    }

    @Override
    public void onEnd(TrainResult result) {
        draw();
    }

    /** Draws {@code metrics.jsonl} of the output directory into {@code loss.png}; nothing when there is no step. */
    public void draw() {
        try {
            Map<Integer, JsonNode> byStep = new TreeMap<>();
            for (JsonNode line : MetricsLog.read(outputDir.resolve(Checkpoints.METRICS_FILE))) {
                if (line.has("step") && !line.has("eval")) {
                    byStep.put(line.get("step").asInt(), line);
                }
            }
            if (byStep.isEmpty()) {
                return;
            }
            Map<String, List<double[]>> series = new TreeMap<>();
            for (JsonNode line : byStep.values()) {
                line.fieldNames().forEachRemaining(name -> {
                    JsonNode v = line.get(name);
                    if ((name.equals("loss") || name.startsWith("loss_")) && v.isNumber()) {
                        series.computeIfAbsent(name, k -> new ArrayList<>())
                                .add(new double[] {line.get("step").asDouble(), v.asDouble()});
                    }
                });
            }
            XYChart chart = new XYChartBuilder().width(900).height(500).title("training loss")
                    .xAxisTitle("step").yAxisTitle("loss").build();
            chart.getStyler().setMarkerSize(3);
            chart.getStyler().setXAxisDecimalPattern("#");
            chart.getStyler().setXAxisTickMarkSpacingHint(80);
            series.forEach((name, points) -> {
                double[] x = points.stream().mapToDouble(p -> p[0]).toArray();
                double[] y = points.stream().mapToDouble(p -> p[1]).toArray();
                XYSeries s = chart.addSeries(name, x, y);
                s.setMarker(points.size() > 50 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
            });
            byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
            AtomicFile.write(outputDir.resolve(FILE), temp -> Files.write(temp, png));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(outputDir.resolve(FILE) + ": cannot draw the loss plot", e);
        }
    }
}
