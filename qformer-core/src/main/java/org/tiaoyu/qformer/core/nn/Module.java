package org.tiaoyu.qformer.core.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.tiaoyu.qformer.core.NativeBackend;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.core.autograd.Tensor;

/**
 * A block with named parameters and named sub-blocks, as {@code torch.nn.Module}: the dotted path of a parameter
 * ({@code encoder.layer.0.attention.attention.query.weight}) is its checkpoint key, so a subclass registers its
 * children under the HF attribute names. Modules start in eval mode (dropout off); {@link #train(Rng)} switches a
 * whole tree to training and gives its dropout layers their random source.
 */
public abstract class Module {

    static {
        NativeBackend.configure(); // before ND4J loads: the right native build for this CPU (a wrong one crashes)
    }

    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private Rng trainingRng;

    /** Registers a trainable parameter under {@code name} and returns it. */
    protected Tensor parameter(String name, INDArray value) {
        Tensor p = Tensor.variable(value);
        if (parameters.putIfAbsent(name, p) != null || children.containsKey(name)) {
            throw new IllegalStateException("name already registered: " + name);
        }
        return p;
    }

    /** Registers a sub-block under {@code name} (an HF attribute name, or a list index) and returns it. */
    protected <M extends Module> M child(String name, M module) {
        if (children.putIfAbsent(name, module) != null || parameters.containsKey(name)) {
            throw new IllegalStateException("name already registered: " + name);
        }
        return module;
    }

    /** Every parameter of the tree by dotted path, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableMap(out);
    }

    private void collect(String prefix, Map<String, Tensor> out) {
        parameters.forEach((name, p) -> out.put(prefix + name, p));
        children.forEach((name, m) -> m.collect(prefix + name + ".", out));
    }

    /** The parameters that receive gradients (not frozen). */
    public Map<String, Tensor> trainableParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (p.requiresGrad()) {
                out.put(name, p);
            }
        });
        return out;
    }

    /** Number of scalars in all parameters. */
    public long parameterCount() {
        return namedParameters().values().stream().mapToLong(p -> p.data().length()).sum();
    }

    /** Freezes every parameter: no gradients, no gradient memory. */
    public void freeze() {
        namedParameters().values().forEach(p -> p.setRequiresGrad(false));
    }

    public void unfreeze() {
        namedParameters().values().forEach(p -> p.setRequiresGrad(true));
    }

    /** Training mode for the whole tree; dropout layers draw their masks from {@code rng}. */
    public void train(Rng rng) {
        setTrainingRng(rng);
    }

    /** Evaluation mode for the whole tree (dropout off). */
    public void eval() {
        setTrainingRng(null);
    }

    private void setTrainingRng(Rng rng) {
        trainingRng = rng;
        children.values().forEach(m -> m.setTrainingRng(rng));
    }

    public boolean isTraining() {
        return trainingRng != null;
    }

    /** The random source in training mode; null in eval mode. */
    protected Rng trainingRng() {
        return trainingRng;
    }

    public void zeroGrad() {
        namedParameters().values().forEach(Tensor::zeroGrad);
    }
}
