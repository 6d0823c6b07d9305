package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recall arithmetic of LAVIS's {@code _report_metrics}, on score matrices whose answers are known. */
class RetrievalMetricsTest {

    @Test
    void ranksCountWhatScoresHigherAndTiesGoToTheHigherIndex() {
        float[] row = {0.5f, 0.9f, 0.5f, 0.1f, 0.5f};
        assertEquals(0, RetrievalMetrics.rank(row, 1));
        assertEquals(3, RetrievalMetrics.rank(row, 0), "0.9, and the equal scores at indices 2 and 4");
        assertEquals(2, RetrievalMetrics.rank(row, 2), "0.9 and index 4");
        assertEquals(1, RetrievalMetrics.rank(row, 4), "0.9 only: NumPy's argsort()[::-1] puts index 4 first");
        assertEquals(4, RetrievalMetrics.rank(row, 3));
        assertEquals(1, RetrievalMetrics.bestRank(row, new int[] {3, 4}), "an image's best caption counts");
    }

    @Test
    void recallAtOneFiveAndTenInPercentWithLavisKeys() {
        // 3 images, 6 texts (two per image); texts 0,1 → image 0, 2,3 → image 1, 4,5 → image 2.
        int[][] textsOfImage = {{0, 1}, {2, 3}, {4, 5}};
        int[] imageOfText = {0, 0, 1, 1, 2, 2};
        float[][] imageToText = {
            {0.1f, 0.9f, 0.2f, 0.3f, 0.4f, 0.5f},    // image 0: text 1 first → rank 0
            {0.9f, 0.8f, 0.1f, 0.7f, 0.6f, 0.5f},    // image 1: text 3 at rank 2
            {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.5f},    // image 2: tie of its texts 4 and 5 at the top → rank 0
        };
        float[][] textToImage = {
            {0.9f, 0.1f, 0.1f}, {0.2f, 0.3f, 0.1f},  // text 1: its image second
            {0.1f, 0.9f, 0.1f}, {0.5f, 0.5f, 0.1f},  // text 3: a tie with image 0; image 1 has the higher index
            {-100f, -100f, -100f},                   // text 4: all outside the top k; reversed, index 2 first
            {0.3f, 0.2f, 0.1f},                      // text 5: its image third
        };
        RetrievalMetrics m = RetrievalMetrics.fromScores(imageToText, textToImage, textsOfImage, imageOfText);
        assertEquals(200.0 / 3, m.txtR1(), 1e-12);
        assertEquals(100.0, m.txtR5(), 1e-12);
        assertEquals(100.0, m.txtR10(), 1e-12);
        assertEquals(400.0 / 6, m.imgR1(), 1e-12, "texts 0, 2, 3, 4");
        assertEquals(100.0, m.imgR5(), 1e-12);
        Map<String, Double> keys = m.asMap();
        assertEquals(List.of("txt_r1", "txt_r5", "txt_r10", "txt_r_mean", "img_r1", "img_r5", "img_r10",
                "img_r_mean", "r_mean", "agg_metrics"), List.copyOf(keys.keySet()));
        assertEquals((200.0 / 3 + 200) / 3, keys.get("txt_r_mean"), 1e-12);
        assertEquals((400.0 / 6 + 200) / 3, keys.get("img_r_mean"), 1e-12);
        assertEquals((keys.get("txt_r_mean") + keys.get("img_r_mean")) / 2, keys.get("r_mean"), 1e-12);
        assertEquals(keys.get("txt_r_mean"), keys.get("agg_metrics"), 0.0, "LAVIS: agg_metrics is the i2t mean");
    }

    @Test
    void recallAtTenCountsRanksBelowTen() {
        int[] ranks = new int[20];
        for (int i = 0; i < ranks.length; i++) {
            ranks[i] = i;                                   // ranks 0..19
        }
        RetrievalMetrics m = RetrievalMetrics.fromRanks(ranks, ranks);
        assertEquals(5.0, m.txtR1(), 1e-12);
        assertEquals(25.0, m.txtR5(), 1e-12);
        assertEquals(50.0, m.imgR10(), 1e-12);
    }

    @Test
    void anEmptyGalleryIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.fromRanks(new int[0], new int[] {0}));
    }
}
