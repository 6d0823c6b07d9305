package org.tiaoyu.qformer.core.autograd;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.tiaoyu.qformer.core.NativeBackend;

/**
 * Reuses the memory of a step's temporaries from one step to the next (an ND4J workspace). Every array an op makes
 * inside the scope lives in the arena, which is rewound when the same arena is opened again; the first step
 * learns how much memory a step needs. Fresh memory is costly (a new array is page-faulted in and, outside an
 * arena, freed only when Java's GC runs), so training steps and inference calls run inside one:
 *
 * <pre>{@code
 * for (Batch batch : loader) {
 *     try (var step = Arena.open("train")) {
 *         Tensor loss = model.loss(batch);
 *         loss.backward();          // parameter gradients are kept outside the arena
 *         optimizer.step();
 *         losses.add(loss.item());  // read what you keep before the arena closes
 *     }
 * }
 * }</pre>
 *
 * Arrays made inside are invalid after {@link #close()}: copy out what must survive with {@link #keep}. Gradients
 * of leaves (parameters) are allocated outside arenas automatically.
 */
public final class Arena implements AutoCloseable {

    static {
        NativeBackend.configure(); // before ND4J loads: the right native build for this CPU (a wrong one crashes)
    }

    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .overallocationLimit(0.2)
            .policyAllocation(AllocationPolicy.OVERALLOCATE)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private final MemoryWorkspace workspace;

    private Arena(MemoryWorkspace workspace) {
        this.workspace = workspace;
    }

    /** Opens (and rewinds) the arena called {@code name} on this thread; nest different names, not the same. */
    public static Arena open(String name) {
        return new Arena(Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, "qformer-" + name));
    }

    /** A copy of {@code array} outside every arena (or the array itself when it is outside already). */
    public static INDArray keep(INDArray array) {
        return array.isAttached() ? array.detach() : array;
    }

    /**
     * Runs one stage of an inference pass (gradients off) in the arena {@code name}, rewound at every call, and
     * keeps only the stage's result, copied into the enclosing arena (or out of all arenas when there is none):
     * a deep network's temporaries then take the memory of one layer, not of all of them.
     */
    public static Tensor stage(String name, Supplier<Tensor> stage) {
        if (Grad.isEnabled()) {
            throw new IllegalStateException("Arena.stage is for inference: the graph would point into a rewound arena");
        }
        MemoryWorkspace enclosing = Nd4j.getMemoryManager().getCurrentWorkspace();
        try (var arena = open(name)) {
            INDArray result = stage.get().data();
            // Not INDArray.leverage(): ND4J M2.1 copies through a buffer of the default type (float), which turns a
            // double result into float and drops half its bytes.
            try (MemoryWorkspace into = enclosing != null ? enclosing.notifyScopeBorrowed() : outside()) {
                return Tensor.constant(result.dup('c'));
            }
        }
    }

    /**
     * Frees arrays made outside every arena now: their native memory would otherwise wait for Java's garbage
     * collector, which a heap with little garbage rarely runs. Arrays in an arena (or views, or null) are left alone.
     */
    public static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && a.closeable()) {
                a.close();
            }
        }
    }

    /** A scope in which new arrays are made outside every arena. */
    static MemoryWorkspace outside() {
        return Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
    }

    @Override
    public void close() {
        workspace.close();
    }
}
