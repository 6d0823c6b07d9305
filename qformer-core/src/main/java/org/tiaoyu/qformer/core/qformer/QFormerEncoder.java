package org.tiaoyu.qformer.core.qformer;

import org.nd4j.linalg.api.buffer.DataType;
import org.tiaoyu.qformer.core.config.QFormerConfig;
import org.tiaoyu.qformer.core.nn.Module;
import org.tiaoyu.qformer.core.nn.ModuleList;

/** Mirrors HF {@code Blip2QFormerEncoder}: the stack of layers, {@code layer.0 … layer.(n-1)}. */
public final class QFormerEncoder extends Module {

    public final ModuleList<QFormerLayer> layer = child("layer", new ModuleList<>());

    public QFormerEncoder(QFormerConfig config, boolean textInput, DataType type) {
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layer.add(new QFormerLayer(config, i, textInput, type));
        }
    }
}
