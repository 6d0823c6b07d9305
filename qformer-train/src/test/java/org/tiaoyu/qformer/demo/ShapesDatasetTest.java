package org.tiaoyu.qformer.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.demo.ShapesDataset.Sample;
import org.tiaoyu.qformer.demo.ShapesDataset.Split;

class ShapesDatasetTest {

    @Test
    void captionsSayTheSceneAndParseBack() {
        ShapeScene scene = new ShapeScene(new ShapeScene.Shape("small", "red", "circle"),
                new ShapeScene.Shape("large", "blue", "triangle"), "left of");
        assertEquals("a small red circle left of a large blue triangle", scene.caption());
        assertEquals(Optional.of(scene), ShapeScene.parse(" A small red circle left of a large blue triangle.\n"));
        assertEquals(Optional.empty(), ShapeScene.parse("a small red circle left of a large blue"));
        assertEquals(Optional.empty(), ShapeScene.parse("a tiny red circle left of a large blue triangle"));
    }

    @Test
    void theSplitsShareNoSceneAndNoHeldOutPairIsTrainedOn() {
        List<ShapeScene> train = ShapesDataset.scenes(Split.TRAIN);
        List<ShapeScene> heldOut = ShapesDataset.scenes(Split.HELD_OUT);
        assertEquals(24 * 24 * 2, train.size() + heldOut.size());
        assertEquals(18 * 18 * 2, train.size(), "9 colour-form pairs of 12, two sizes each, two relations");
        Set<ShapeScene> both = new HashSet<>(train);
        both.retainAll(heldOut);
        assertTrue(both.isEmpty());
        for (ShapeScene s : train) {
            for (ShapeScene.Shape shape : List.of(s.first(), s.second())) {
                assertFalse(ShapesDataset.HELD_OUT_PAIRS.contains(shape.colour() + " " + shape.form()), s.caption());
            }
        }
        assertTrue(heldOut.stream().allMatch(ShapesDataset::heldOut));
    }

    @Test
    void samplesAreTheSameForTheSameSeedAndDrawTheFirstShapeWhereTheRelationSays() {
        List<Sample> a = ShapesDataset.sample(Split.TRAIN, 20, 7);
        List<Sample> b = ShapesDataset.sample(Split.TRAIN, 20, 7);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).scene(), b.get(i).scene());
            assertEquals(a.get(i).image().getRGB(10, 10), b.get(i).image().getRGB(10, 10));
        }
        // A large first shape covers the centre of its half: top half for "above", left half for "left of".
        for (Sample s : ShapesDataset.sample(Split.HELD_OUT, 50, 3)) {
            if (s.scene().first().size().equals("large") && !s.scene().first().form().equals("triangle")) {
                boolean above = s.scene().relation().equals("above");
                int rgb = s.image().getRGB(above ? 16 : 8, above ? 8 : 16) & 0xFFFFFF;
                assertTrue(rgb != 0xEBEBEB, s.scene().caption() + " leaves its half empty");
            }
        }
    }
}
