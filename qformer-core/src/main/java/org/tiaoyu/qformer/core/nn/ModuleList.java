package org.tiaoyu.qformer.core.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code torch.nn.ModuleList}: children named by their index ({@code layer.0}, {@code layer.1}, …). */
public final class ModuleList<M extends Module> extends Module {

    private final List<M> items = new ArrayList<>();

    /** Appends {@code module} as child {@code size()} and returns it (as its own type). */
    public <T extends M> T add(T module) {
        items.add(child(Integer.toString(items.size()), module));
        return module;
    }

    public M get(int index) {
        return items.get(index);
    }

    public int size() {
        return items.size();
    }

    public List<M> asList() {
        return Collections.unmodifiableList(items);
    }
}
