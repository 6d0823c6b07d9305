package org.tiaoyu.qformer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParameterException;

/**
 * Every {@code ./qformer} command in the README and docs/ that runs on the repository's own data is run as written
 * (outputs under {@code /tmp/} go to a temporary directory instead) and must succeed and print something: a clone
 * with nothing beside it runs what its documentation shows. Run: the code-block lines that start with
 * {@code ./qformer }. Left out, by rule: benchmarks and the demo ({@code bench}, {@code demo}: programs with their own
 * smoke tests in {@link BenchCommandTest} and {@link DemoCommandTest}, and the timed recipes of docs/performance.md and the like, which start with
 * {@code /usr/bin/time}, {@code JAVA_OPTS=…} or a pipeline), and examples on the user's own files
 * ({@code ~/models/…}, {@code photo.jpg}). Those are still parsed: every {@code ./qformer} in a code block, wherever
 * it stands, must be a command line {@code qformer} accepts, so no synopsis ({@code [--flag N]}, {@code a|b}) sits in
 * a block that a reader pastes into a shell.
 */
class DocumentedCommandsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CODE_BLOCK = Pattern.compile("```[a-z]*\\n(.*?)```", Pattern.DOTALL);

    @TempDir
    Path dir;

    @Test
    void everyDocumentedCommandOnTheRepositorysDataRuns() throws IOException {
        int ran = 0;
        for (Path document : documents()) {
            for (List<String> command : commands(Files.readString(document))) {
                // bench and demo are programs with their own smoke tests (BenchCommandTest, DemoCommandTest)
                if (command.isEmpty() || command.get(0).equals("bench") || command.get(0).equals("demo")
                        || command.stream().anyMatch(a -> a.startsWith("~") || a.equals("photo.jpg"))) {
                    continue;
                }
                List<String> args = command.stream().flatMap(this::resolve).toList();
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int status = QFormerCommand.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
                assertEquals(0, status, document.getFileName() + ": " + String.join(" ", command) + "\n" + err);
                int at = args.indexOf("--out");
                if (at >= 0) {
                    assertTrue(Files.size(Path.of(args.get(at + 1))) > 0, String.join(" ", command) + " wrote nothing");
                }
                assertFalse(out.toString().isBlank(), String.join(" ", command) + " printed nothing");
                ran++;
            }
        }
        assertTrue(ran >= 10, "only " + ran + " documented commands found");
    }

    @Test
    void everyQformerCommandInACodeBlockParses() throws IOException {
        int parsed = 0;
        for (Path document : documents()) {
            Matcher block = CODE_BLOCK.matcher(Files.readString(document));
            while (block.find()) {
                for (String line : block.group(1).replaceAll("\\\\\\n\\s*", " ").split("\\n")) {
                    List<String> words = words(line);
                    int at = words.indexOf("./qformer");
                    if (at < 0 || (at > 0 && words.get(at - 1).equals("xargs"))) {  // xargs adds the arguments
                        continue;
                    }
                    List<String> args = new ArrayList<>();
                    for (String word : words.subList(at + 1, words.size())) {
                        if (List.of("|", "||", "&&", ";", "&", ">", "<", "2>").contains(word)) {
                            break;
                        }
                        args.add(word);
                    }
                    try {
                        QFormerCommand.commandLine(new PrintWriter(new StringWriter()),
                                new PrintWriter(new StringWriter())).parseArgs(args.toArray(String[]::new));
                    } catch (ParameterException e) {
                        throw new AssertionError(document.getFileName() + ": " + line.strip() + "\n" + e.getMessage(), e);
                    }
                    parsed++;
                }
            }
        }
        assertTrue(parsed >= 30, "only " + parsed + " documented commands found");
    }

    private static List<Path> documents() throws IOException {
        List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
        }
        return documents;
    }

    /** The {@code ./qformer} commands of the documents' code blocks, continuation lines joined, comments dropped. */
    private static List<List<String>> commands(String markdown) {
        List<List<String>> commands = new ArrayList<>();
        Matcher block = CODE_BLOCK.matcher(markdown);
        while (block.find()) {
            String joined = block.group(1).replaceAll("\\\\\\n\\s*", " ");
            for (String line : joined.split("\\n")) {
                if (line.startsWith("./qformer ")) {
                    commands.add(words(line.substring("./qformer ".length())));
                }
            }
        }
        return commands;
    }

    /** Shell words: double quotes group, a {@code #} after a space starts a comment. */
    private static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
                word = word == null ? new StringBuilder() : word;
            } else if (!quoted && Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else if (!quoted && c == '#' && word == null) {
                break;
            } else {
                word = (word == null ? new StringBuilder() : word).append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    /** A word as the shell in the repository root would pass it: paths made absolute, globs expanded. */
    private Stream<String> resolve(String word) {
        if (word.startsWith("/tmp/")) {
            return Stream.of(dir.resolve(word.substring("/tmp/".length())).toString());
        }
        if (!word.startsWith("testdata/") && !word.startsWith("examples/")) {
            return Stream.of(word);
        }
        Path path = ROOT.resolve(word);
        if (!word.contains("*")) {
            return Stream.of(path.toString());
        }
        PathMatcher glob = FileSystems.getDefault().getPathMatcher("glob:" + path.getFileName());
        try (Stream<Path> files = Files.list(path.getParent())) {
            return files.filter(p -> glob.matches(p.getFileName())).sorted().map(Path::toString).toList().stream();
        } catch (IOException e) {
            throw new AssertionError(word, e);
        }
    }
}
