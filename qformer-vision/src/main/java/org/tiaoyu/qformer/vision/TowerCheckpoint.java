package org.tiaoyu.qformer.vision;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.StateDict;

/** Loading a tower's weights from a model directory, shared by both towers. */
final class TowerCheckpoint {

    /** The vision tower's prefix in BLIP-2 checkpoints ({@code Blip2ForConditionalGeneration} and the others). */
    static final String PREFIX = "vision_model.";

    private TowerCheckpoint() {}

    /**
     * The prefix of the tower's tensors: {@value #PREFIX} when the checkpoint has it (BLIP-2 directories, and
     * vision-only directories saved with it), else none (vision-only directories saved without it, as
     * transformers 5 writes {@code CLIPVisionModel} and {@code Blip2VisionModel}).
     */
    static String prefix(Checkpoint checkpoint) {
        return checkpoint.names().stream().anyMatch(n -> n.startsWith(PREFIX)) ? PREFIX : "";
    }

    /**
     * Loads every parameter of {@code tower} strictly, except that the tensors of checkpoint layers from
     * {@code layers} on (layers the tower leaves out) are allowed and ignored; then freezes the tower.
     */
    static void load(Module tower, Checkpoint checkpoint, Path modelDir, int layers) {
        String prefix = prefix(checkpoint);
        String layerPrefix = prefix + "encoder.layers.";
        StateDict.LoadReport report = StateDict.load(tower, checkpoint, prefix, false);
        List<String> unexpected = report.unexpected().stream()
                .filter(n -> !(n.startsWith(layerPrefix) && layerIndex(n, layerPrefix) >= layers)).toList();
        if (!report.missing().isEmpty() || !unexpected.isEmpty()) {
            List<String> problems = new ArrayList<>();
            describe("missing", report.missing(), problems);
            describe("unexpected", unexpected, problems);
            throw new BadInputException(modelDir + ": checkpoint does not match the vision tower: "
                    + String.join("; ", problems));
        }
        tower.freeze();
    }

    private static int layerIndex(String name, String layerPrefix) {
        String rest = name.substring(layerPrefix.length());
        int dot = rest.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? rest : rest.substring(0, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void describe(String what, List<String> names, List<String> out) {
        if (!names.isEmpty()) {
            int shown = Math.min(names.size(), 5);
            out.add(names.size() + " " + what + " (" + String.join(", ", names.subList(0, shown))
                    + (names.size() > shown ? ", ..." : "") + ")");
        }
    }
}
