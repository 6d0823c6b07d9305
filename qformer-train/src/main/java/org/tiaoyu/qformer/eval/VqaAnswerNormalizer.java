package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer text handling of the VQA team's {@code vqaEval.py} ({@code VQAEval} in GT-Vision-Lab/VQA,
 * {@code PythonEvaluationTools/vqaEvaluation/vqaEval.py}), as it runs under Python 3: {@link #strip} is what
 * {@code evaluate} does to every answer and prediction, {@link #normalize} is {@code processPunctuation} then
 * {@code processDigitArticle}, which {@code evaluate} applies only when the human answers differ
 * ({@link VqaComparison}).
 *
 * <p>Python's semantics are kept where Java's differ: {@code \d} is any Unicode decimal digit, and
 * {@code strip()}, {@code split()} and {@code lower()} are Python's ({@link VqaPythonStrings}).
 */
public final class VqaAnswerNormalizer {

    /** {@code self.punct}, in the official order (the order does not change the result). */
    private static final List<String> PUNCTUATION = List.of(";", "/", "[", "]", "\"", "{", "}", "(", ")", "=",
            "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!");

    /** {@code self.commaStrip}, {@code (\d)(\,)(\d)}: a comma between digits, as in {@code 1,000}. */
    private static final Pattern DIGIT_COMMA_DIGIT = Pattern.compile("\\p{Nd},\\p{Nd}");

    /**
     * {@code self.periodStrip}, {@code (?!<=\d)(\.)(?!\d)}: a period not followed by a digit. Its first group is
     * a negative lookahead for the literal text {@code <=} and a digit (not the lookbehind {@code (?<!\d)} it was
     * meant to be), which always holds where a period starts, so it is left out: {@code 3.5} keeps its period
     * because of the digit after it, {@code 3.} loses it although a digit comes before.
     */
    private static final Pattern PERIOD = Pattern.compile("\\.(?!\\p{Nd})");

    /**
     * {@code periodStrip.sub("", outText, re.UNICODE)} passes the flag where {@code sub} takes {@code count}, and
     * {@code re.UNICODE == 32}: only the first 32 such periods are deleted.
     */
    private static final int PERIODS_DELETED_AT_MOST = 32;

    /** {@code self.manualMap}: number words to digits, and {@code none} to {@code 0}. */
    private static final Map<String, String> NUMBER_WORDS = Map.ofEntries(Map.entry("none", "0"),
            Map.entry("zero", "0"), Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"),
            Map.entry("four", "4"), Map.entry("five", "5"), Map.entry("six", "6"), Map.entry("seven", "7"),
            Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));

    /** {@code self.articles}. */
    private static final Set<String> ARTICLES = Set.of("a", "an", "the");

    /**
     * {@code self.contractions}, all 120 entries as the official table has them, its oddities included
     * ({@code somebody'd} becomes {@code somebodyd}). Words are lower-cased before the look-up, so the four
     * capitalised keys ({@code Id've}, {@code I'dve}, {@code Im}, {@code Ive}) never match, as in the original.
     */
    private static final Map<String, String> CONTRACTIONS = Map.ofEntries(
            Map.entry("aint", "ain't"), Map.entry("arent", "aren't"), Map.entry("cant", "can't"),
            Map.entry("couldve", "could've"), Map.entry("couldnt", "couldn't"), Map.entry("couldn'tve", "couldn't've"),
            Map.entry("couldnt've", "couldn't've"), Map.entry("didnt", "didn't"), Map.entry("doesnt", "doesn't"),
            Map.entry("dont", "don't"), Map.entry("hadnt", "hadn't"), Map.entry("hadnt've", "hadn't've"),
            Map.entry("hadn'tve", "hadn't've"), Map.entry("hasnt", "hasn't"), Map.entry("havent", "haven't"),
            Map.entry("hed", "he'd"), Map.entry("hed've", "he'd've"), Map.entry("he'dve", "he'd've"),
            Map.entry("hes", "he's"), Map.entry("howd", "how'd"), Map.entry("howll", "how'll"),
            Map.entry("hows", "how's"), Map.entry("Id've", "I'd've"), Map.entry("I'dve", "I'd've"),
            Map.entry("Im", "I'm"), Map.entry("Ive", "I've"), Map.entry("isnt", "isn't"), Map.entry("itd", "it'd"),
            Map.entry("itd've", "it'd've"), Map.entry("it'dve", "it'd've"), Map.entry("itll", "it'll"),
            Map.entry("let's", "let's"), Map.entry("maam", "ma'am"), Map.entry("mightnt", "mightn't"),
            Map.entry("mightnt've", "mightn't've"), Map.entry("mightn'tve", "mightn't've"),
            Map.entry("mightve", "might've"), Map.entry("mustnt", "mustn't"), Map.entry("mustve", "must've"),
            Map.entry("neednt", "needn't"), Map.entry("notve", "not've"), Map.entry("oclock", "o'clock"),
            Map.entry("oughtnt", "oughtn't"), Map.entry("ow's'at", "'ow's'at"), Map.entry("'ows'at", "'ow's'at"),
            Map.entry("'ow'sat", "'ow's'at"), Map.entry("shant", "shan't"), Map.entry("shed've", "she'd've"),
            Map.entry("she'dve", "she'd've"), Map.entry("she's", "she's"), Map.entry("shouldve", "should've"),
            Map.entry("shouldnt", "shouldn't"), Map.entry("shouldnt've", "shouldn't've"),
            Map.entry("shouldn'tve", "shouldn't've"), Map.entry("somebody'd", "somebodyd"),
            Map.entry("somebodyd've", "somebody'd've"), Map.entry("somebody'dve", "somebody'd've"),
            Map.entry("somebodyll", "somebody'll"), Map.entry("somebodys", "somebody's"),
            Map.entry("someoned", "someone'd"), Map.entry("someoned've", "someone'd've"),
            Map.entry("someone'dve", "someone'd've"), Map.entry("someonell", "someone'll"),
            Map.entry("someones", "someone's"), Map.entry("somethingd", "something'd"),
            Map.entry("somethingd've", "something'd've"), Map.entry("something'dve", "something'd've"),
            Map.entry("somethingll", "something'll"), Map.entry("thats", "that's"), Map.entry("thered", "there'd"),
            Map.entry("thered've", "there'd've"), Map.entry("there'dve", "there'd've"),
            Map.entry("therere", "there're"), Map.entry("theres", "there's"), Map.entry("theyd", "they'd"),
            Map.entry("theyd've", "they'd've"), Map.entry("they'dve", "they'd've"), Map.entry("theyll", "they'll"),
            Map.entry("theyre", "they're"), Map.entry("theyve", "they've"), Map.entry("twas", "'twas"),
            Map.entry("wasnt", "wasn't"), Map.entry("wed've", "we'd've"), Map.entry("we'dve", "we'd've"),
            Map.entry("weve", "we've"), Map.entry("werent", "weren't"), Map.entry("whatll", "what'll"),
            Map.entry("whatre", "what're"), Map.entry("whats", "what's"), Map.entry("whatve", "what've"),
            Map.entry("whens", "when's"), Map.entry("whered", "where'd"), Map.entry("wheres", "where's"),
            Map.entry("whereve", "where've"), Map.entry("whod", "who'd"), Map.entry("whod've", "who'd've"),
            Map.entry("who'dve", "who'd've"), Map.entry("wholl", "who'll"), Map.entry("whos", "who's"),
            Map.entry("whove", "who've"), Map.entry("whyll", "why'll"), Map.entry("whyre", "why're"),
            Map.entry("whys", "why's"), Map.entry("wont", "won't"), Map.entry("wouldve", "would've"),
            Map.entry("wouldnt", "wouldn't"), Map.entry("wouldnt've", "wouldn't've"),
            Map.entry("wouldn'tve", "wouldn't've"), Map.entry("yall", "y'all"), Map.entry("yall'll", "y'all'll"),
            Map.entry("y'allll", "y'all'll"), Map.entry("yall'd've", "y'all'd've"),
            Map.entry("y'alld've", "y'all'd've"), Map.entry("y'all'dve", "y'all'd've"), Map.entry("youd", "you'd"),
            Map.entry("youd've", "you'd've"), Map.entry("you'dve", "you'd've"), Map.entry("youll", "you'll"),
            Map.entry("youre", "you're"), Map.entry("youve", "you've"));

    private VqaAnswerNormalizer() {
    }

    /**
     * What {@code evaluate} does to every human answer and to the prediction before anything else: {@code \n} and
     * {@code \t} become spaces, then Python's {@code strip()} removes leading and trailing whitespace.
     */
    public static String strip(String answer) {
        return VqaPythonStrings.strip(answer.replace('\n', ' ').replace('\t', ' '));
    }

    /** {@code processDigitArticle(processPunctuation(answer))}. */
    public static String normalize(String answer) {
        return processDigitArticle(processPunctuation(answer));
    }

    /**
     * {@code processPunctuation}: each punctuation mark is deleted if the text has it before or after a space, or
     * has a digit-comma-digit anywhere (both tested on the text as given, not as the loop leaves it), else it
     * becomes a space; then up to 32 periods not followed by a digit are deleted.
     */
    static String processPunctuation(String text) {
        boolean digitCommaDigit = DIGIT_COMMA_DIGIT.matcher(text).find();
        String out = text;
        for (String p : PUNCTUATION) {
            boolean delete = text.contains(p + " ") || text.contains(" " + p) || digitCommaDigit;
            out = out.replace(p, delete ? "" : " ");
        }
        Matcher period = PERIOD.matcher(out);
        StringBuilder stripped = new StringBuilder(out.length());
        int deleted = 0;
        while (deleted < PERIODS_DELETED_AT_MOST && period.find()) {
            period.appendReplacement(stripped, "");
            deleted++;
        }
        period.appendTail(stripped);
        return stripped.toString();
    }

    /**
     * {@code processDigitArticle}: lower case, split on whitespace, number words to digits, articles dropped, the
     * contraction table applied word by word, joined with single spaces.
     */
    static String processDigitArticle(String text) {
        List<String> words = new ArrayList<>();
        for (String word : VqaPythonStrings.split(VqaPythonStrings.lower(text))) {
            word = NUMBER_WORDS.getOrDefault(word, word);
            if (!ARTICLES.contains(word)) {
                words.add(CONTRACTIONS.getOrDefault(word, word));
            }
        }
        return String.join(" ", words);
    }
}
