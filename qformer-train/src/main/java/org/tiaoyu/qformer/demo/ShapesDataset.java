package org.tiaoyu.qformer.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.tiaoyu.qformer.core.autograd.Rng;
import org.tiaoyu.qformer.demo.ShapeScene.Shape;

/**
 * The demo's data: pictures of two shapes drawn from a {@link ShapeScene}, 32×32 pixels, deterministic from a seed.
 * Three colour–form pairs (a red triangle, a green circle, a blue square) never occur in the training split; the
 * held-out split has at least one of them in every picture, so it measures whether the model composes what it
 * learnt rather than recalling pictures it saw.
 */
public final class ShapesDataset {

    /** Picture side in pixels. */
    public static final int SIZE = 32;

    /** The colour–form pairs only the held-out split has. */
    public static final Set<String> HELD_OUT_PAIRS = Set.of("red triangle", "green circle", "blue square");

    private static final Map<String, Color> RGB = Map.of("red", new Color(220, 40, 40), "green",
            new Color(40, 170, 60), "blue", new Color(50, 80, 230), "yellow", new Color(230, 200, 30));
    private static final Color BACKGROUND = new Color(235, 235, 235);

    /** Which pictures. */
    public enum Split { TRAIN, HELD_OUT }

    /** A picture and what it shows. */
    public record Sample(ShapeScene scene, BufferedImage image) {}

    private ShapesDataset() {}

    /** Whether a scene has a held-out colour–form pair (and so belongs to the held-out split). */
    public static boolean heldOut(ShapeScene scene) {
        return isHeldOut(scene.first()) || isHeldOut(scene.second());
    }

    private static boolean isHeldOut(Shape s) {
        return HELD_OUT_PAIRS.contains(s.colour() + " " + s.form());
    }

    /** Every scene of a split, in a fixed order. */
    public static List<ShapeScene> scenes(Split split) {
        List<ShapeScene> out = new ArrayList<>();
        for (Shape first : ShapeScene.allShapes()) {
            for (Shape second : ShapeScene.allShapes()) {
                for (String relation : ShapeScene.RELATIONS) {
                    ShapeScene scene = new ShapeScene(first, second, relation);
                    if (heldOut(scene) == (split == Split.HELD_OUT)) {
                        out.add(scene);
                    }
                }
            }
        }
        return out;
    }

    /** {@code count} pictures of scenes drawn at random from the split, each drawn with its own jitter. */
    public static List<Sample> sample(Split split, int count, long seed) {
        List<ShapeScene> scenes = scenes(split);
        Rng rng = new Rng(seed);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ShapeScene scene = scenes.get((int) (rng.nextDouble() * scenes.size()));
            out.add(new Sample(scene, draw(scene, rng)));
        }
        return out;
    }

    /** {@code count} pictures of as many different scenes of the split, in a seeded order. */
    public static List<Sample> distinctSample(Split split, int count, long seed) {
        List<ShapeScene> scenes = new ArrayList<>(scenes(split));
        if (count > scenes.size()) {
            throw new IllegalArgumentException(count + " different scenes asked, the split has " + scenes.size());
        }
        Rng rng = new Rng(seed);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {                       // a partial Fisher-Yates shuffle
            int j = i + (int) (rng.nextDouble() * (scenes.size() - i));
            java.util.Collections.swap(scenes, i, j);
            out.add(new Sample(scenes.get(i), draw(scenes.get(i), rng)));
        }
        return out;
    }

    /**
     * Draws a scene: the first shape in the top (above) or left (left of) half, the other in the other half, each
     * centred in its half give or take 2 pixels; small shapes 8 pixels across, large ones 14.
     */
    public static BufferedImage draw(ShapeScene scene, Rng rng) {
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, SIZE, SIZE);
        boolean vertical = scene.relation().equals("above");
        for (int k = 0; k < 2; k++) {
            Shape s = k == 0 ? scene.first() : scene.second();
            int half = SIZE / 2;
            double along = half * k + half / 2.0 + jitter(rng);         // the axis the relation is about
            double across = SIZE / 2.0 + jitter(rng);
            double cx = vertical ? across : along;
            double cy = vertical ? along : across;
            draw(g, s, cx, cy);
        }
        g.dispose();
        return image;
    }

    private static double jitter(Rng rng) {
        return (rng.nextDouble() * 2 - 1) * 2;
    }

    private static void draw(Graphics2D g, Shape s, double cx, double cy) {
        int d = s.size().equals("small") ? 8 : 14;
        int x = (int) Math.round(cx - d / 2.0);
        int y = (int) Math.round(cy - d / 2.0);
        g.setColor(RGB.get(s.colour()));
        switch (s.form()) {
            case "circle" -> g.fillOval(x, y, d, d);
            case "square" -> g.fillRect(x, y, d, d);
            case "triangle" -> g.fillPolygon(new Polygon(new int[] {x, x + d / 2, x + d}, new int[] {y + d, y, y + d},
                    3));
            default -> throw new IllegalArgumentException(s.form());
        }
    }

    /** Where {@link #write} puts picture {@code i}, relative to its directory. */
    public static String imageName(int i) {
        return String.format(java.util.Locale.ROOT, "images/%05d.png", i);
    }

    /**
     * Writes the samples as {@code dir/images/NNNNN.png} and {@code dir/captions.jsonl} (one line per picture:
     * {@code image}, {@code caption}); returns the manifest.
     */
    public static Path write(Path dir, List<Sample> samples) {
        try {
            Files.createDirectories(dir.resolve("images"));
            ObjectMapper json = new ObjectMapper();
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < samples.size(); i++) {
                String name = imageName(i);
                ImageIO.write(samples.get(i).image(), "png", dir.resolve(name).toFile());
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("image", name);
                line.put("caption", samples.get(i).scene().caption());
                lines.add(json.writeValueAsString(line));
            }
            Path manifest = dir.resolve("captions.jsonl");
            Files.write(manifest, lines, StandardCharsets.UTF_8);
            return manifest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo data to " + dir, e);
        }
    }
}
