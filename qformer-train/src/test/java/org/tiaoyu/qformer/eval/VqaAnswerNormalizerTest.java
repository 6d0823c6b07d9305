package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every expected string here is what the official {@code vqaEval.py} (GT-Vision-Lab/VQA a013f00, Python 3.11.7)
 * returns for the input: {@code processPunctuation(s)} and {@code processDigitArticle(processPunctuation(s))}.
 */
class VqaAnswerNormalizerTest {

    /** {input, processPunctuation(input), processDigitArticle(processPunctuation(input))}. */
    private static final String[][] OFFICIAL = {
        {"hot-dog", "hot dog", "hot dog"},
        {"hot - dog", "hot  dog", "hot dog"},
        {"hot -dog", "hot dog", "hot dog"},
        {"1,000", "1000", "1000"},
        {"1,000-2", "10002", "10002"},
        {"1,2,3", "123", "123"},
        {"a,b", "a b", "b"},
        {"a, b", "a b", "b"},
        {"red,white", "red white", "red white"},
        {"one,two", "one two", "1 2"},
        {"a-b, c", "a b c", "b c"},
        {"5.", "5", "5"},
        {"3.", "3", "3"},
        {"3.5", "3.5", "3.5"},
        {"3..5", "3.5", "3.5"},
        {"1.5.", "1.5", "1.5"},
        {"v1.2.3", "v1.2.3", "v1.2.3"},
        {".5", ".5", ".5"},
        {"5 .", "5 ", "5"},
        {"3.a", "3a", "3a"},
        {"x.y", "xy", "xy"},
        {"mr.smith", "mrsmith", "mrsmith"},
        {"e.g.", "eg", "eg"},
        {"...", "", ""},
        {"hot dog.", "hot dog", "hot dog"},
        {"3:30", "3:30", "3:30"},
        {"$3.50", "$3.50", "$3.50"},
        {"50%", "50%", "50%"},
        {"(yes)", " yes ", "yes"},
        {"yes!", "yes ", "yes"},
        {"what?", "what ", "what"},
        {"[1]", " 1 ", "1"},
        {"{x}", " x ", "x"},
        {"a/b", "a b", "b"},
        {"a / b", "a  b", "b"},
        {"a\\b", "a b", "b"},
        {"a_b", "a b", "b"},
        {"<>", "  ", ""},
        {"@home", " home", "home"},
        {"`x`", " x ", "x"},
        {"\"quoted\"", " quoted ", "quoted"},
        {"x=y", "x y", "x y"},
        {"1+1", "1 1", "1 1"},
        {"a;b", "a b", "b"},
        {"a ;b", "a b", "b"},
        {"ab;", "ab ", "ab"},
        {"dont", "dont", "don't"},
        {"Dont", "Dont", "don't"},
        {"don't", "don't", "don't"},
        {"isnt", "isnt", "isn't"},
        {"cant", "cant", "can't"},
        {"wont", "wont", "won't"},
        {"doesnt", "doesnt", "doesn't"},
        {"oclock", "oclock", "o'clock"},
        {"yall'll", "yall'll", "y'all'll"},
        {"let's", "let's", "let's"},
        {"didnt've", "didnt've", "didnt've"},
        // The table's own oddity, and its capitalised keys that lower-cased words never reach.
        {"somebody'd", "somebody'd", "somebodyd"},
        {"Im", "Im", "im"},
        {"Ive", "Ive", "ive"},
        {"I'dve", "I'dve", "i'dve"},
        {"I've", "I've", "i've"},
        {"it's", "it's", "it's"},
        {"its", "its", "its"},
        {"none", "none", "0"},
        {"Zero", "Zero", "0"},
        {"TEN", "TEN", "10"},
        {"eleven", "eleven", "eleven"},
        {"two dogs", "two dogs", "2 dogs"},
        {"none of the above", "none of the above", "0 of above"},
        {"a", "a", ""},
        {"an", "an", ""},
        {"the", "the", ""},
        {"the the", "the the", ""},
        {"the-the", "the the", ""},
        {"a-b", "a b", "b"},
        {"a dog", "a dog", "dog"},
        {"The Dog", "The Dog", "dog"},
        {"an apple", "an apple", "apple"},
        {"  many   spaces  ", "  many   spaces  ", "many spaces"},
        // Python's whitespace, digits and lower case are Unicode ones.
        {"yes\u00a0no", "yes\u00a0no", "yes no"},
        {"a\u2003b", "a\u2003b", "b"},
        {"\u00a0yes\u00a0", "\u00a0yes\u00a0", "yes"},
        {"\u0663,\u0664", "\u0663\u0664", "\u0663\u0664"},
        {"\u0663.\u0664", "\u0663.\u0664", "\u0663.\u0664"},
        {"x.\u0663", "x.\u0663", "x.\u0663"},
        {"\u039f\u0394\u039f\u03a3", "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"},
        {"\u0130stanbul", "\u0130stanbul", "i\u0307stanbul"},
        // A final sigma by Unicode's Final_Sigma rule, as Python has it (Java's toLowerCase differs on these two).
        {"yes\u03a32", "yes\u03a32", "yes\u03c22"},
        {"x\u0663\u03a3", "x\u0663\u03a3", "x\u0663\u03c3"},
        {"a\u03a3'", "a\u03a3'", "a\u03c2'"},
        {"a\u03a3'a", "a\u03a3'a", "a\u03c3'a"},
        {"\u03a3", "\u03a3", "\u03c3"},
    };

    @Test
    void matchesTheOfficialProcessPunctuationAndProcessDigitArticle() {
        for (String[] c : OFFICIAL) {
            assertEquals(c[1], VqaAnswerNormalizer.processPunctuation(c[0]), "processPunctuation: " + c[0]);
            assertEquals(c[2], VqaAnswerNormalizer.normalize(c[0]), "normalize: " + c[0]);
        }
    }

    /** {@code sub("", text, re.UNICODE)} deletes at most re.UNICODE == 32 periods. */
    @Test
    void deletesOnlyTheFirst32Periods() {
        assertEquals("........", VqaAnswerNormalizer.normalize(".".repeat(40)));
        assertEquals("a".repeat(33) + ".a".repeat(7) + ".", VqaAnswerNormalizer.normalize("a.".repeat(40)));
        assertEquals("", VqaAnswerNormalizer.normalize(".".repeat(32)));
        // Periods followed by a digit neither go nor count.
        assertEquals("1.1.1.1.", VqaAnswerNormalizer.normalize("1.1.1.1" + ".".repeat(33)));
    }

    @Test
    void stripTurnsNewlinesAndTabsIntoSpacesAndStripsPythonWhitespace() {
        assertEquals("yes", VqaAnswerNormalizer.strip("\tyes\n"));
        assertEquals("ye s", VqaAnswerNormalizer.strip("ye\ns"));
        assertEquals("a b", VqaAnswerNormalizer.strip(" a\tb "));
        assertEquals("\u200byes", VqaAnswerNormalizer.strip("\u200byes"));
        assertEquals("Yes", VqaAnswerNormalizer.strip("Yes"));
    }

    /** Exactly the characters Python 3.11's {@code str.isspace()} is true for. */
    @Test
    void stripRemovesExactlyPythonsWhitespace() {
        Set<Integer> python = Set.of(0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
                0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
                0x2029, 0x202f, 0x205f, 0x3000);
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            if (Character.isSurrogate(c)) {
                continue;
            }
            String padded = c + "x" + c;
            assertEquals(python.contains((int) c) ? "x" : padded, VqaAnswerNormalizer.strip(padded),
                    String.format("U+%04X", (int) c));
        }
    }
}
