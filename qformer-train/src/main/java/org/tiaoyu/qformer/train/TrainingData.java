package org.tiaoyu.qformer.train;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tiaoyu.qformer.core.BadInputException;
import org.tiaoyu.qformer.data.AnnotationFormat;
import org.tiaoyu.qformer.data.CaptionCleaner;
import org.tiaoyu.qformer.data.CaptionDataset;
import org.tiaoyu.qformer.data.SkippedRecord;

/** Reads a run's training pairs as its config says, logging what is skipped. */
final class TrainingData {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingData.class);

    private TrainingData() {}

    /** @throws BadInputException when the file cannot be read or fewer than one batch of pairs is usable */
    static CaptionDataset read(TrainConfig.Data data, VisualInput visual) {
        Path annotations = Path.of(data.annotations());
        CaptionDataset dataset = CaptionDataset.read(annotations, AnnotationFormat.parse(data.format()),
                data.imageRoot() == null ? null : Path.of(data.imageRoot()), new CaptionCleaner(data.maxWords()),
                visual::problem);
        for (SkippedRecord s : dataset.skipped()) {
            LOG.warn("skipped {}", s);
        }
        if (dataset.size() < data.batchSize()) {
            throw new BadInputException(annotations + ": " + dataset.size() + " usable records ("
                    + dataset.skipped().size() + " skipped), fewer than one batch of " + data.batchSize()
                    + (dataset.skipped().isEmpty() ? "" : "; first skipped: " + dataset.skipped().get(0)));
        }
        return dataset;
    }
}
