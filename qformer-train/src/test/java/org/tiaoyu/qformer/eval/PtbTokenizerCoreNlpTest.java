package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import edu.stanford.nlp.ling.CoreAnnotations;
import edu.stanford.nlp.ling.CoreLabel;
import edu.stanford.nlp.process.CoreLabelTokenFactory;
import edu.stanford.nlp.process.PTBTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;

/**
 * {@link PtbTokenizer} against the real thing: Stanford CoreNLP 3.4.1 (a test-only dependency), called as
 * pycocoevalcap's {@code ptbtokenizer.py} calls its command line ({@code -preserveLines -lowerCase}: the lexer
 * option {@code tokenizeNLs}, every token lower-cased with {@link Locale#ENGLISH}, a newline token ending a line).
 */
class PtbTokenizerCoreNlpTest {

    /** pycocoevalcap's {@code PUNCTUATIONS}, applied here as the Python applies it, independently of the class. */
    private static final Set<String> PUNCTUATIONS = Set.of("''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
            ".", "?", "!", ",", ":", "-", "--", "...", ";");

    /** Kept so that the silenced logger is not collected and recreated with its default level. */
    private static final Logger CORENLP_LOG = Logger.getLogger("edu.stanford.nlp.process.PTBLexer");

    private final PtbTokenizer tokenizer = new PtbTokenizer();

    @BeforeAll
    static void quiet() {
        CORENLP_LOG.setLevel(Level.OFF); // it warns about each file's first untokenizable character
    }

    /** CoreNLP's output lines for text, as {@code PTBTokenizer.main} prints them with these options. */
    private static List<String> coreNlpLines(String text) {
        List<String> lines = new ArrayList<>();
        List<String> line = new ArrayList<>();
        PTBTokenizer<CoreLabel> lexer = new PTBTokenizer<>(new StringReader(text), new CoreLabelTokenFactory(),
                "tokenizeNLs");
        while (lexer.hasNext()) {
            String token = lexer.next().get(CoreAnnotations.TextAnnotation.class);
            if (PTBTokenizer.getNewlineToken().equals(token)) {
                lines.add(String.join(" ", line));
                line.clear();
            } else {
                line.add(token.toLowerCase(Locale.ENGLISH));
            }
        }
        lines.add(String.join(" ", line));
        return lines;
    }

    /** pycocoevalcap's run: captions joined by newlines into one file, each output line filtered. */
    private static List<String> pycocoevalcap(List<String> captions) {
        String file = captions.stream().map(c -> c.replace('\n', ' ')).collect(Collectors.joining("\n"));
        return coreNlpLines(file).stream().map(PtbTokenizerCoreNlpTest::filter).toList();
    }

    private static String filter(String line) {
        return Arrays.stream(line.stripTrailing().split(" ", -1)).filter(w -> !PUNCTUATIONS.contains(w))
                .collect(Collectors.joining(" "));
    }

    /** CoreNLP's tokens for one caption on its own, as this class reads a caption: one line, then the end. */
    private static String coreNlpAlone(String caption) {
        return coreNlpLines(caption + "\n").get(0);
    }

    /** First, that this harness is the pycocoevalcap run: it gives the fixture's tokenisation. */
    @Test
    void theHarnessReproducesTheFixture() throws IOException {
        JsonNode expected = new ObjectMapper().readTree(Fixtures.path("eval/caption_tokenized.json").toFile());
        CocoCaptionFiles files = CocoCaptionFiles.read(Fixtures.path("eval/caption_references.json"),
                Fixtures.path("eval/caption_predictions.json"));
        List<String> references = new ArrayList<>();
        List<String> want = new ArrayList<>();
        files.references().forEach((id, captions) -> {
            references.addAll(captions);
            expected.get("references").get(id.toString()).forEach(t -> want.add(t.asText()));
        });
        assertEquals(want, pycocoevalcap(references));
        List<String> wantPredictions = files.predictions().keySet().stream()
                .map(id -> expected.get("predictions").get(id.toString()).asText()).toList();
        assertEquals(wantPredictions, pycocoevalcap(List.copyOf(files.predictions().values())));
    }

    /** The hand-written captions of {@code eval/tricky_captions.txt}, in one pycocoevalcap run and one by one. */
    @Test
    void sameAsCoreNlpOnTrickyCaptions() throws IOException {
        List<String> captions = new ArrayList<>(trickyCaptions());
        // and characters a text file would hide
        captions.addAll(List.of("a\u00A0non-breaking space", "a soft\u00ADhyphen and \u00AD alone",
                "zero\u200Bwidth\uFEFFjoiners", "an en\u2002space and an ideographic\u3000space",
                "cp1252 \u0093quotes\u0094", "cp1252 \u0091single\u0092 and it\u0092s",
                "cp1252 dash \u0096 and \u0097 and ellipsis\u0085 end", "a decomposed cafe\u0301 and e\u0301te\u0301",
                "supplementary \uD835\uDC00 letter and \uD83D\uDE00 emoji", "emoji\uD83D\uDE00inside a word",
                "control\u0001character", "a tab\there",
                "&quot;entities&quot; &amp; &apos;more&apos; &lt;b&gt; &nbsp; &mdash; &eacute;t&eacute; &#39;"));
        assertTrue(captions.size() >= 450, "captions: " + captions.size());
        List<String> batch = pycocoevalcap(captions);
        assertEquals(captions.size(), batch.size());
        for (int i = 0; i < captions.size(); i++) {
            String caption = captions.get(i);
            assertEquals(batch.get(i), tokenizer.tokenize(caption), "pycocoevalcap run: " + caption);
            assertEquals(coreNlpAlone(caption), String.join(" ", tokenizer.tokens(caption)), "alone: " + caption);
        }
    }

    /** Random strings of tricky pieces (seeded): contractions, numbers, abbreviations, quotes, symbols, URLs... */
    @Test
    void sameAsCoreNlpOnRandomCaptions() {
        List<String> pieces = List.of("a", "A", "man", "Man's", "dog", "don't", "can't", "won't", "cannot", "gonna",
                "o'clock", "'n'", "U.S.", "u.s", "Mr.", "St.", "etc.", "no.", "fig.", "p.m.", "e.g.", "I.", "A.", "1",
                "10", "1,000", "3.5", "10:30", "1/2", "2 1/2", "5-6", "10/12/2014", "555-123-4567", "(555)", "$", "US$",
                "#", "@", "&", "&amp;", "%", "*", "+", "=", "/", "\\", "|", "~", "^", "_", "-", "--", "---", "-----",
                ".", "..", "...", ". . .", ",", ";", ":", "?", "!", "?!", "'", "''", "\"", "`", "``", "(", ")", "[",
                "]", "{", "}", "<", ">", "<<", "<b>", "</b>", "\u2019", "\u2018", "\u201C", "\u201D", "\u201E",
                "\u00AB", "\u2014", "\u2013", "\u2026", "\u00E9", "caf\u00E9", "na\u00EFve", "\u00DF", "\u0416",
                "\u4E2D", "\uD83D\uDE00", "\u00A0", "\u00AD", "\u200B", "\t", "  ", "\u0301", "x_x", "^_^", ":)", ":(",
                ";)", ":D", "=)", "(x.x)", "black-and-white", "3.5-inch", "and/or", "w/", "AT&T", "at&t", "photo.jpg",
                "www.x.com", "x.org", "http://a.b/c", "me@x.com", "#tag", "@user", "'s", "'re", "n't", "'90s", "'em",
                "y'all", "ma'am", "O'Neil", "l'eau", "c++", "C#", "\u00BD", "\u00B0", "\u00D7", "\u2122", "\u00A2",
                "\u00A3", "\u20AC", "\u00B2", "\u0085", "\u0092", "\u0093", "\u0096", "&quot;", "&apos;", "&nbsp;",
                "&mdash;", "&lt;", "&eacute;", "Inc.", "Co.", "Ltd", "Calif.", "Jan.", "vs.", "Dr", "The", "He", "It",
                "In", "It's");
        List<String> separators = List.of(" ", " ", " ", "", "  ");
        Random random = new Random(20240611);
        for (int i = 0; i < 3000; i++) {
            StringBuilder caption = new StringBuilder();
            for (int k = random.nextInt(8); k >= 0; k--) {
                caption.append(pieces.get(random.nextInt(pieces.size())))
                        .append(separators.get(random.nextInt(separators.size())));
            }
            String c = caption.toString();
            assertEquals(coreNlpAlone(c), String.join(" ", tokenizer.tokens(c)), c);
        }
    }

    /**
     * The documented difference: CoreNLP reads a caption's period after a one-letter abbreviation as the end of a
     * sentence when the next caption starts with a word like "The"; alone, the caption keeps "a.".
     */
    @Test
    void knownDifferenceWhenTheNextCaptionDecidesASentenceEnd() {
        List<String> captions = List.of("the letter A.", "The end");
        assertEquals(List.of("the letter a", "the end"), pycocoevalcap(captions));
        assertEquals("the letter a.", tokenizer.tokenize(captions.get(0)));
        assertNotEquals(pycocoevalcap(captions).get(0), tokenizer.tokenize(captions.get(0)));
        assertEquals("the letter a.", pycocoevalcap(List.of("the letter A.", "the end")).get(0));
    }

    private static List<String> trickyCaptions() throws IOException {
        try (InputStream in = PtbTokenizerCoreNlpTest.class.getResourceAsStream("/eval/tricky_captions.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
