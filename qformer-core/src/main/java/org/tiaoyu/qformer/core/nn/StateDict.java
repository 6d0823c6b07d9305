package org.tiaoyu.qformer.core.nn;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.core.autograd.Tensor;
import org.tiaoyu.qformer.core.io.safetensors.Checkpoint;
import org.tiaoyu.qformer.core.io.safetensors.SafetensorsWriter;
import org.tiaoyu.qformer.core.io.safetensors.TensorInfo;

/**
 * Moves a module's parameters to and from safetensors checkpoints by their dotted names, as PyTorch's
 * {@code load_state_dict} / {@code state_dict}. Loading copies each tensor straight from the memory-mapped file into
 * the parameter (converting F16/BF16), so it never holds a second copy of the weights.
 */
public final class StateDict {

    private StateDict() {}

    /** What a load found: parameters the checkpoint lacked and checkpoint tensors no parameter wanted. */
    public record LoadReport(List<String> missing, List<String> unexpected) {
        public boolean isComplete() {
            return missing.isEmpty() && unexpected.isEmpty();
        }
    }

    /**
     * Loads every parameter of {@code module} from the tensor named {@code prefix + path}. A shape mismatch is always
     * an error; missing and unexpected names (those under {@code prefix}) are an error when {@code strict}, and
     * reported otherwise.
     */
    public static LoadReport load(Module module, Checkpoint checkpoint, String prefix, boolean strict) {
        Map<String, Tensor> params = module.namedParameters();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            String key = prefix + e.getKey();
            if (!checkpoint.contains(key)) {
                missing.add(key);
                continue;
            }
            TensorInfo info = checkpoint.info(key);
            INDArray target = e.getValue().data();
            if (!Arrays.equals(info.shape(), target.shape())) {
                throw new BadInputException(location(checkpoint) + ": tensor " + key + " has shape "
                        + Arrays.toString(info.shape()) + " but the model expects " + Arrays.toString(target.shape()));
            }
            checkpoint.loadInto(key, target);
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : checkpoint.names()) {
            if (name.startsWith(prefix) && !params.containsKey(name.substring(prefix.length()))) {
                unexpected.add(name);
            }
        }
        unexpected.sort(null);
        LoadReport report = new LoadReport(List.copyOf(missing), List.copyOf(unexpected));
        if (strict && !report.isComplete()) {
            List<String> problems = new ArrayList<>();
            describe("missing", report.missing(), problems);
            describe("unexpected", report.unexpected(), problems);
            throw new BadInputException(location(checkpoint) + ": checkpoint does not match the model: "
                    + String.join("; ", problems));
        }
        return report;
    }

    private static void describe(String what, List<String> names, List<String> out) {
        if (!names.isEmpty()) {
            int shown = Math.min(names.size(), 5);
            out.add(names.size() + " " + what + " (" + String.join(", ", names.subList(0, shown))
                    + (names.size() > shown ? ", ..." : "") + ")");
        }
    }

    /** The file, or the directory of a sharded checkpoint, for messages. */
    private static Path location(Checkpoint checkpoint) {
        List<Path> files = checkpoint.files();
        return files.size() == 1 ? files.get(0) : files.get(0).getParent();
    }

    /** Writes every parameter under {@code prefix + path} to one safetensors file, atomically. */
    public static void save(Module module, String prefix, Path file, Map<String, String> metadata) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        module.namedParameters().forEach((name, p) -> tensors.put(prefix + name, p.data()));
        SafetensorsWriter.write(file, tensors, metadata);
    }
}
