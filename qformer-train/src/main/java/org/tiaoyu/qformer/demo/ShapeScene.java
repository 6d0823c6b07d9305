package org.tiaoyu.qformer.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a demo picture shows, and the caption that says it: two shapes, each with a size, a colour and a form, one
 * above or left of the other ("a small red circle above a large blue square").
 *
 * @param first    the shape the caption names first
 * @param second   the other one
 * @param relation where the first is: {@code "above"} or {@code "left of"} the second
 */
public record ShapeScene(Shape first, Shape second, String relation) {

    public static final List<String> SIZES = List.of("small", "large");
    public static final List<String> COLOURS = List.of("red", "green", "blue", "yellow");
    public static final List<String> FORMS = List.of("circle", "square", "triangle");
    public static final List<String> RELATIONS = List.of("above", "left of");

    private static final Pattern CAPTION = Pattern.compile("a (\\w+) (\\w+) (\\w+) (above|left of) a (\\w+) (\\w+) (\\w+)");

    /** One shape: size, colour, form, each one of the lists above. */
    public record Shape(String size, String colour, String form) {
        public Shape {
            require(SIZES, size, "size");
            require(COLOURS, colour, "colour");
            require(FORMS, form, "form");
        }

        /** {@code "small red circle"}. */
        public String words() {
            return size + " " + colour + " " + form;
        }

        private static void require(List<String> allowed, String value, String what) {
            if (!allowed.contains(value)) {
                throw new IllegalArgumentException("not a " + what + ": " + value);
            }
        }
    }

    public ShapeScene {
        if (!RELATIONS.contains(relation)) {
            throw new IllegalArgumentException("not a relation: " + relation);
        }
    }

    /** Every shape there can be: 2 sizes × 4 colours × 3 forms. */
    public static List<Shape> allShapes() {
        List<Shape> out = new ArrayList<>();
        for (String size : SIZES) {
            for (String colour : COLOURS) {
                for (String form : FORMS) {
                    out.add(new Shape(size, colour, form));
                }
            }
        }
        return out;
    }

    public String caption() {
        return "a " + first.words() + " " + relation + " a " + second.words();
    }

    /**
     * The scene a caption describes, when it is one of these captions (surrounding spaces, a final period and case
     * aside); empty otherwise.
     */
    public static Optional<ShapeScene> parse(String caption) {
        String text = caption.strip().toLowerCase(Locale.ROOT);
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1).strip();
        }
        Matcher m = CAPTION.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new ShapeScene(new Shape(m.group(1), m.group(2), m.group(3)),
                    new Shape(m.group(5), m.group(6), m.group(7)), m.group(4)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
