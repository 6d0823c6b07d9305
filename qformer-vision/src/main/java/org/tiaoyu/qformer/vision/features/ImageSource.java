package org.tiaoyu.qformer.vision.features;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.tiaoyu.qformer.core.BadInputException;

/**
 * An image to encode and the id it is cached under.
 *
 * @param id   the key in the cache's index
 * @param file the image file
 */
public record ImageSource(String id, Path file) {

    /** The file name extensions {@link #list} takes from a directory, lower case. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif", "webp");

    /**
     * The images of a directory or a list file.
     *
     * <ul>
     *   <li>A directory: every file under it, recursively, whose extension is in {@link #EXTENSIONS} (any case);
     *       the id is the path relative to the directory, with {@code /} separators; sorted by id.</li>
     *   <li>A text file: one image path per line, relative to the list file's directory unless absolute; the id
     *       is the line as written. Blank lines are ignored; a path listed twice is listed once.</li>
     * </ul>
     * Files that are missing or unreadable are not checked here: the writer skips them.
     *
     * @throws BadInputException when {@code listOrDir} does not exist or cannot be read
     */
    public static List<ImageSource> list(Path listOrDir) {
        try {
            if (Files.isDirectory(listOrDir)) {
                try (Stream<Path> files = Files.walk(listOrDir)) {
                    return files.filter(Files::isRegularFile)
                            .filter(ImageSource::hasImageExtension)
                            .map(f -> new ImageSource(id(listOrDir.relativize(f)), f))
                            .sorted(Comparator.comparing(ImageSource::id))
                            .toList();
                }
            }
            if (!Files.isRegularFile(listOrDir)) {
                throw new BadInputException(listOrDir + ": no such image directory or list file");
            }
            Path base = listOrDir.toAbsolutePath().getParent();
            return Files.readAllLines(listOrDir).stream()
                    .map(String::strip)
                    .filter(line -> !line.isEmpty())
                    .distinct()
                    .map(line -> new ImageSource(line, base.resolve(line)))
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new BadInputException(listOrDir + ": cannot list images: " + e.getMessage(), e);
        }
    }

    private static boolean hasImageExtension(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static String id(Path relative) {
        StringBuilder id = new StringBuilder();
        for (Path part : relative) {
            id.append(id.isEmpty() ? "" : "/").append(part);
        }
        return id.toString();
    }
}
