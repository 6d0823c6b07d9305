package org.tiaoyu.qformer.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tiaoyu.qformer.core.Fixtures;

class TrainStage1OnCocoTest {

    @TempDir
    Path dir;

    @Test
    void trainsOnCocoCaptionsWithItsOwnTermAndResumesWhenRunAgain() throws Exception {
        Path repo = Fixtures.root().getParent();
        String[] args = {Fixtures.path("e2e/retrieval_model").toString(),
            repo.resolve("examples/train/tiny-data/captions_coco.json").toString(),
            repo.resolve("examples/train/tiny-data").toString(), dir.resolve("run").toString(), "4"};
        TrainStage1OnCoco.main(args);
        assertTrue(Files.isDirectory(dir.resolve("run/checkpoint-4")));
        List<String> metrics = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
        assertEquals(4, metrics.size());
        assertTrue(metrics.get(3).contains("\"loss_query_diversity\":"), metrics.get(3));

        args[4] = "6";   // a longer run of the same settings resumes the finished one
        TrainStage1OnCoco.main(args);
        assertEquals(6, Files.readAllLines(dir.resolve("run/metrics.jsonl")).size());
    }
}
