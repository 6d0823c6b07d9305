package org.tiaoyu.qformer.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.tiaoyu.qformer.core.autograd.Rng;

/**
 * Writes the tiny captioning dataset the example training configs use ({@code examples/train/tiny-data}): 32
 * pictures of 64×64 pixels — a circle, square, triangle or cross, in red, green, blue or yellow, on white or black,
 * at a seeded place and size — each with two captions that name shape, colour and background, as a JSONL manifest
 * ({@code captions.jsonl}) and as COCO captions ({@code captions_coco.json}). The images are simple enough that a
 * tiny Q-Former learns to match and describe them in a minute.
 *
 * <p>Run: {@code mvn -q -pl examples exec:java -Dexec.mainClass=org.tiaoyu.qformer.examples.TinyCaptionData
 * -Dexec.args=examples/train/tiny-data}. The output is the same on every run.
 */
public final class TinyCaptionData {

    static final String[] SHAPES = {"circle", "square", "triangle", "cross"};
    static final String[] COLOURS = {"red", "green", "blue", "yellow"};
    static final Color[] RGB = {new Color(220, 30, 30), new Color(30, 170, 60), new Color(40, 70, 220),
            new Color(235, 210, 30)};
    static final String[] BACKGROUNDS = {"white", "black"};

    private TinyCaptionData() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "examples/train/tiny-data");
        Files.createDirectories(out.resolve("images"));
        Rng rng = new Rng(2026);
        ObjectMapper json = new ObjectMapper();
        List<String> manifest = new ArrayList<>();
        ObjectNode coco = json.createObjectNode();
        ArrayNode images = coco.putArray("images");
        ArrayNode annotations = coco.putArray("annotations");
        int id = 0;
        for (String background : BACKGROUNDS) {
            for (int c = 0; c < COLOURS.length; c++) {
                for (String shape : SHAPES) {
                    String file = String.format(Locale.ROOT, "images/%s_%s_on_%s.png", COLOURS[c], shape, background);
                    ImageIO.write(draw(shape, RGB[c], background.equals("white") ? Color.WHITE : Color.BLACK, rng),
                            "png", out.resolve(file).toFile());
                    String[] captions = {
                        "a " + COLOURS[c] + " " + shape + " on a " + background + " background",
                        "a " + background + " picture with a " + COLOURS[c] + " " + shape + " in it"};
                    ObjectNode entry = json.createObjectNode().put("image", file);
                    entry.putArray("caption").add(captions[0]).add(captions[1]);
                    manifest.add(json.writeValueAsString(entry));
                    images.addObject().put("id", id).put("file_name", file);
                    for (String caption : captions) {
                        annotations.addObject().put("id", annotations.size()).put("image_id", id)
                                .put("caption", caption);
                    }
                    id++;
                }
            }
        }
        Files.write(out.resolve("captions.jsonl"), manifest, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("captions_coco.json"),
                json.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(coco) + "\n");
        System.out.println(id + " images, " + annotations.size() + " captions -> " + out);
    }

    static BufferedImage draw(String shape, Color colour, Color background, Rng rng) {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(background);
        g.fillRect(0, 0, 64, 64);
        int size = 26 + (int) (rng.nextDouble() * 14);
        int x = 6 + (int) (rng.nextDouble() * (52 - size));
        int y = 6 + (int) (rng.nextDouble() * (52 - size));
        g.setColor(colour);
        switch (shape) {
            case "circle" -> g.fillOval(x, y, size, size);
            case "square" -> g.fillRect(x, y, size, size);
            case "triangle" -> g.fillPolygon(new Polygon(new int[] {x, x + size / 2, x + size},
                    new int[] {y + size, y, y + size}, 3));
            case "cross" -> {
                g.setStroke(new BasicStroke(size / 4f));
                g.drawLine(x, y, x + size, y + size);
                g.drawLine(x, y + size, x + size, y);
            }
            default -> throw new IllegalArgumentException(shape);
        }
        g.dispose();
        return image;
    }
}
