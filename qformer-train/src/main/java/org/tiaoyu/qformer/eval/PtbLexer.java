package org.tiaoyu.qformer.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The tokens that Stanford CoreNLP 3.4.1's {@code PTBLexer} gives for one line of text, with the options its
 * command line has when pycocoevalcap runs it ({@code -preserveLines}: PTB3 escaping, no Americanisation,
 * assimilations such as {@code gonna} split), before any lower-casing. See {@link PtbTokenizer} for what is and
 * is not covered.
 *
 * <p>It works as a JFlex scanner does: at each position every rule is tried, the longest match wins (text a rule
 * only looks at, its trailing context, counts towards the length), a tie goes to the earlier rule, and a rule may
 * give back part of its match to be read again. Each rule's regular expression is written so that Java finds its
 * longest match; a rule whose alternatives could stop early is split into several patterns, of which the longest
 * match counts. A character that no rule matches is dropped, as CoreNLP drops untokenizable characters.
 */
final class PtbLexer {

    /** The group that ends a token followed by trailing context, text the rule looks at but leaves to be read. */
    private static final String TOKEN = "(?<t>";

    // --- Building blocks. The lexer is caseless: (?i:...) marks its literal text, while its character classes,
    // --- and so the ones here, match only the cases they list.

    private static final String SPACE_CHARS = " \\t\\u00A0\\u2000-\\u200A\\u3000";
    private static final String SPACE = "[" + SPACE_CHARS + "]";
    private static final String SPACE_OR_NEWLINE =
            "(?:\\r\\n|[" + SPACE_CHARS + "\\r\\n\\u2028\\u2029\\u000B\\u000C\\u0085])";
    private static final String DIGIT = "\\p{Nd}";
    /**
     * Letters of words: Java's letters, plus the soft hyphen, combining marks (so a decomposed "é" stays in its
     * word), spacing modifiers and the vowel signs and other marks of Hebrew, Arabic, Syriac, Indic and Thai
     * scripts, as CoreNLP lists them. (The extra characters are a nested class, so that a letter is recognised by
     * one test rather than by a walk over all their ranges.)
     */
    private static final String LETTER_CHARS = "\\p{L}[\\u00AD\\u0237-\\u024F\\u02C2-\\u02C5\\u02D2-\\u02DF"
            + "\\u02E5-\\u02FF\\u0300-\\u036F\\u0370-\\u037D\\u0384\\u0385\\u03CF\\u03F6\\u03FC-\\u03FF\\u0483-\\u0487"
            + "\\u04CF\\u04F6-\\u04FF\\u0510-\\u0525\\u055A-\\u055F\\u0591-\\u05BD\\u05BF\\u05C1\\u05C2\\u05C4\\u05C5"
            + "\\u05C7\\u0615-\\u061A\\u063B-\\u063F\\u064B-\\u065E\\u0670\\u06D6-\\u06EF\\u06FA-\\u06FF\\u070F"
            + "\\u0711\\u0730-\\u074F\\u0750-\\u077F\\u07A6-\\u07B1\\u07CA-\\u07F5\\u07FA\\u0900-\\u0903\\u093C"
            + "\\u093E-\\u094E\\u0951-\\u0955\\u0962\\u0963\\u0981-\\u0983\\u09BC-\\u09C4\\u09C7\\u09C8"
            + "\\u09CB-\\u09CD\\u09D7\\u09E2\\u09E3\\u0A01-\\u0A03\\u0A3C\\u0A3E-\\u0A4F\\u0A81-\\u0A83"
            + "\\u0ABC-\\u0ACF\\u0B82\\u0BBE-\\u0BC2\\u0BC6-\\u0BC8\\u0BCA-\\u0BCD\\u0C01-\\u0C03\\u0C3E-\\u0C56"
            + "\\u0D3E-\\u0D44\\u0D46-\\u0D48\\u0E30-\\u0E3A\\u0E47-\\u0E4E\\u0EB1-\\u0EBC\\u0EC8-\\u0ECD]";
    /** An HTML entity for an accented vowel, which CoreNLP reads as a letter. */
    private static final String ENTITY_LETTER = "&[aeiouAEIOU](?i:acute|grave|uml);";
    private static final String LETTER = "(?:[" + LETTER_CHARS + "]|" + ENTITY_LETTER + ")";
    private static final String LETTER_OR_DIGIT = "(?:[" + LETTER_CHARS + "\\p{Nd}]|" + ENTITY_LETTER + ")";
    /** A word, which may hold . ! or ? between letters ("u.s", "hello.world"). */
    private static final String WORD = LETTER + LETTER_OR_DIGIT + "*(?:[.!?]" + LETTER + LETTER_OR_DIGIT + "*)*";
    private static final String APOS = "(?:['\\u0092\\u2019]|(?i:&apos;))";
    /** Apostrophes and the quote characters that turn up inside words in their place. */
    private static final String APOS_ETC = "(?:['\\u0092\\u2019`\\u0091\\u2018\\u201B]|(?i:&apos;))";
    private static final String CLITIC = APOS + "(?:[msdMSD]|(?i:re|ve|ll))";
    private static final String NT = "(?i:n)" + APOS_ETC + "(?i:t)";
    /** A word that can carry n't: ASCII letters, not ending in n (so "don't" is "do" + "n't"). */
    private static final String NT_STEM = "[A-Za-z\\u00AD]*[A-MO-Za-mo-z]\\u00AD*";
    /** One part of a hyphenated word (hyphens include "_"), allowing an o'/d'/l' prefix as in "o'clock". */
    private static final String WORD_PART = "(?:[dDoOlL]" + APOS_ETC + "[\\p{L}\\p{Nd}])?[\\p{L}\\p{Nd}]+";
    private static final String HYPHENATED_WORD = WORD_PART + "(?:[-_\\u058A\\u2010\\u2011]" + WORD_PART + ")*";
    private static final String SPECIAL_ACRONYM =
            "(?i:(?:canada|sino|korean|eu|japan|non)-u\\.s|u\\.s\\.-(?:u\\.k|u\\.s\\.s\\.r))";
    /** Letters joined by periods, without the last period: "u.s", "a.m", "x". */
    private static final String ACRONYM = "(?:" + SPECIAL_ACRONYM + "|[A-Za-z](?:\\.[A-Za-z])*)";
    private static final String ACRONYM2 = "(?:" + SPECIAL_ACRONYM + "|[A-Za-z](?:\\.[A-Za-z])+)";
    /** An ASCII compound with hyphens, whose parts may hold periods and commas: "3.5-inch", "u.s.-based". */
    private static final String COMPOUND =
            "[A-Za-z0-9][A-Za-z0-9.,\\u00AD]*(?:-(?:" + ACRONYM2 + "\\.|[A-Za-z0-9\\u00AD]+))+";
    private static final String CAPS_COMPOUND = "[A-Z]+(?:(?:[+&]|(?i:&amp;))[A-Z]+)+";
    private static final String IN_SENTENCE_PUNCT = "[,;:\\u3001]";
    private static final String SGML = "<(?:[!?][A-Za-z-][^>\\r\\n]*"
            + "|[A-Za-z][A-Za-z0-9_:.-]*(?:[ ]+[A-Za-z][A-Za-z0-9_:.-]*(?:[ ]*=[ ]*(?:'[^']*'|\"[^\"]*\"))?)*[ ]*/?"
            + "|/[A-Za-z][A-Za-z0-9_:.-]*)[ ]*>";
    private static final String DOUBLE_QUOTE = "(?:\"|(?i:&quot;))";
    private static final String NUMBER =
            "[-+]?(?:" + DIGIT + "*(?:[.:,\\u00AD\\u066B\\u066C]" + DIGIT + "+)+|" + DIGIT + "+)";
    private static final String FRACTION =
            "(?:" + DIGIT + "{1,4}[- \\u00A0])?" + DIGIT + "{1,4}(?:\\\\?/|\\u2044)" + DIGIT + "{1,4}";
    private static final String SLASHED =
            "[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}";
    private static final String PHONE = "(?:\\([0-9]{2,3}\\)[ \\u00A0]?|(?:\\+\\+?)?(?:[0-9]{2,4}[- \\u00A0])?"
            + "[0-9]{2,4}[- \\u00A0])[0-9]{3,4}[- \\u00A0]?[0-9]{3,5}";
    private static final String DOTTED_PHONE = "(?:(?:\\+\\+?)?[0-9]{2,4}\\.)?[0-9]{2,4}\\.[0-9]{3,4}\\.[0-9]{3,5}";
    private static final String SUPERSCRIPT_OR_SUBSCRIPT_NUMBER =
            "[\\u207A\\u207B\\u208A\\u208B]?(?:[\\u2070\\u00B9\\u00B2\\u00B3\\u2074-\\u2079]+|[\\u2080-\\u2089]+)";
    private static final String FULL_URL = "(?i:https?)://[^ \\t\\n\\f\\r\"<>|(){}]+[^ \\t\\n\\f\\r\"<>|.!?(){},-]";
    // (",-_" in the second class is a range, from the comma to the underscore, as in CoreNLP's pattern.)
    private static final String LIKELY_URL = "(?:(?i:www)\\.(?:[^ \\t\\n\\f\\r\"<>|.!?(){},]+\\.)+[a-zA-Z]{2,4}"
            + "|(?:[^ \\t\\n\\f\\r\"`'<>|.!?(){},-_$]+\\.)+(?i:com|net|org|edu))"
            + "(?:/[^ \\t\\n\\f\\r\"<>|()]+[^ \\t\\n\\f\\r\"<>|.!?(){},-])?";
    private static final String EMAIL = "(?:(?i:&lt;)|<)?[a-zA-Z0-9][^ \\t\\n\\f\\r\"<>|()\\u00A0{}]*@"
            + "(?:[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+\\.)*[^ \\t\\n\\f\\r\"<>|(){}.\\u00A0]+(?:(?i:&gt;)|>)?";
    private static final String SMILEY = "[<>]?[:;=][-o*']?[()DPdpO\\\\{@|\\[\\]]";
    private static final String FILE_NAME = LETTER_OR_DIGIT + "+(?:\\." + LETTER_OR_DIGIT + "+)*\\.(?i:bat|bmp|c|"
            + "class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|py|"
            + "sql|tar|txt|wav|x|xml|zip)";
    private static final String MISC_SYMBOL = "[+%&~^|\\\\\\u00A6-\\u00A9\\u00AC\\u00AE\\u00AF\\u00B0-\\u00BA"
            + "\\u00D7\\u00F7\\u0387\\u05BE\\u05C0\\u05C3\\u05C6\\u05F3\\u05F4\\u0600-\\u0603\\u0606-\\u060A\\u060C"
            + "\\u0614\\u061B\\u061E\\u066A\\u066D\\u0703-\\u070D\\u07F6-\\u07F8\\u0964\\u0965\\u0E4F\\u1FBD\\u2016"
            + "\\u2017\\u2020-\\u2023\\u2030-\\u2038\\u203B\\u203E-\\u2042\\u2044\\u207A-\\u207F\\u208A-\\u208E"
            + "\\u2100-\\u214F\\u2190-\\u21FF\\u2200-\\u2BFF\\u3012\\u30FB\\uFF01-\\uFF0F\\uFF1A-\\uFF20"
            + "\\uFF3B-\\uFF40\\uFF5B-\\uFF65]";

    // Abbreviations. In these lists letters match either case, except a leading [X], which matches X only.
    /** Abbreviations usually followed by a lower-case word. */
    private static final String ABBREVIATION = "(?:" + alternatives(
            // months and days
            "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
            "Mon", "Tue", "Tues", "Wed", "Thu", "Thurs", "Fri",
            // US states
            "Ala", "Ariz", "[A]z", "[A]rk", "Calif", "Colo", "Conn", "Ct", "Dak", "[D]el", "Fla", "Ga", "[I]ll", "Ind",
            "Kans?", "Ky", "[L]a", "[M]ass", "Md", "Mich", "Minn", "[M]iss", "Mo", "Mont", "Neb", "Nev", "Okla",
            "[O]re", "[P]a", "Penn", "Tenn", "[T]ex", "Va", "Vt", "[W]ash", "Wisc?", "Wyo",
            // companies, numbers, names and the rest
            "Inc", "Cos?", "Corp", "Ltd", "Plc", "Rt", "Bancorp", "Bhd", "Assn", "Univ", "Intl", "Sys",
            "tel", "est", "ext", "sq", "Jr", "Sr", "Bros", "(?:Ed|Ph)\\.D", "Blvd", "Rd", "Esq", "etc", "al", "seq",
            "Bldg") + "|(?i:pp?t)[ye](?i:s)?)\\.";
    /** Abbreviations usually followed by a capitalised word, without the period; and any acronym. */
    private static final String TITLE = "(?:" + alternatives(
            "Mr", "Mrs", "Ms", "[M]iss", "Drs?", "Profs?", "Sens?", "Reps?", "Attys?", "Lt", "Col", "Gen", "Messrs",
            "Govs?", "Adm", "Rev", "Maj", "Sgt", "Cpl", "Pvt", "Capt", "Ste?", "Ave", "Pres", "Lieut", "Hon", "Brig",
            "Co?mdr", "Pfc", "Spc", "Supts?", "Det", "Mt", "Ft", "Adj", "Adv", "Asst", "Assoc", "Ens", "Insp", "Mlle",
            "Mme", "Msgr", "Sfc", "vs", "Alex", "Wm", "Jos", "Cie", "a\\.k\\.a", "cf", "TREAS", "Ph", "Invt", "Elec",
            "Natl", "Dept") + "|(?i:m)[ft](?i:g)|" + ACRONYM + ")";
    /** Words after which an acronym's period also ends the sentence. */
    private static final String SENTENCE_START = "(?:" + alternatives("[A]bout", "[A]ccording", "[A]dditionally",
            "[A]fter", "[A]n", "[A]", "[A]s", "[A]t", "[B]ut", "[E]arlier", "[H]e", "[H]er", "[H]ere", "[H]owever",
            "[I]f", "[I]n", "[I]t", "[L]ast", "[M]any", "[M]ore", "[M]r\\.", "[M]s\\.", "[N]ow", "[O]nce", "[O]ne",
            "[O]ther", "[O]ur", "[S]he", "[S]ince", "[S]o", "[S]ome", "[S]uch", "[T]hat", "[T]he", "[T]heir", "[T]hen",
            "[T]here", "[T]hese", "[T]hey", "[T]his", "[W]e", "[W]hen", "[W]hile", "[W]hat", "[Y]et", "[Y]ou")
            + "|" + SGML + ")";

    private static final Pattern SINGLE_QUOTE = Pattern.compile("&apos;|'");
    private static final Pattern DOUBLE_QUOTE_TEXT = Pattern.compile("\"|&quot;");
    private static final Pattern AMP_ENTITY = Pattern.compile("(?i:&amp;)");
    private static final Pattern EURO_AND_SUCH = Pattern.compile("[\\u0080\\u00A4\\u20A0\\u20AC]");

    /** The rules, earliest first: a tie between equally long matches goes to the earlier one. */
    private static final List<Rule> RULES = List.of(
            rule(raw(), "(?i:c)\\+\\+", "(?i:[cf])#"),
            // "cannot" is "can" + "not", "gonna" "gon" + "na", "'tis" "'t" + "is"
            rule(keepFirst(3), "(?i:cannot)"),
            rule(keepFirst(2), "(?i:'twas|'tis)"),
            rule(keepFirst(3), "(?i:gonna|gotta|lemme|gimme|wanna)"),
            rule(nonBreakingSpaces(), SGML),
            rule(replaceWith("--"), "(?i:&(?:md|mdash|ndash);)|[\\u0096\\u0097\\u2013\\u2014\\u2015]"),
            rule(replaceWith("&"), "(?i:&amp;)"),
            rule(raw(), "(?i:&(?:ht|tl|ur|lr|qc|ql|qr|odq|cdq|#[0-9]+);)"),
            rule(noSoftHyphens(), followedBy(WORD, CLITIC)),
            rule(noSoftHyphens(), followedBy(NT_STEM, NT)),
            rule(noSoftHyphens(), WORD),
            // words with an apostrophe inside or in front that stay one token
            rule(raw(), APOS + "(?i:n)" + APOS + "?", "[lLdDjJ]" + APOS, "(?i:dunkin|somethin|ol)" + APOS,
                    APOS + "(?i:em)", "[A-HJ-XZn]" + APOS_ETC + "\\p{L}{2,}", APOS + "[2-9]0(?i:s)",
                    APOS + "(?i:till?)", "\\p{L}+[aeiouyAEIOUY]" + APOS_ETC + "[aeiouA-Z]\\p{L}*",
                    APOS + "(?i:cause)", "(?i:cont'd\\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l)",
                    "(?i:o)" + APOS_ETC + "(?i:o)"),
            rule(raw(), followedBy("(?i:y)" + APOS, "\\p{L}")),
            rule(raw(), FULL_URL),
            rule(raw(), LIKELY_URL),
            rule(raw(), EMAIL),
            rule(raw(), "@[a-zA-Z_][a-zA-Z_0-9]*|#" + LETTER + "+"),
            rule(closingQuotes(), followedBy(CLITIC, "[^A-Za-z]")),
            rule(closingQuotes(), followedBy(NT, "[^A-Za-z]")),
            // numbers, dates, fractions and money
            rule(raw(), DIGIT + "{1,2}[-/]" + DIGIT + "{1,2}[-/]" + DIGIT + "{2,4}"),
            rule(noSoftHyphens(), NUMBER),
            rule(raw(), SUPERSCRIPT_OR_SUBSCRIPT_NUMBER),
            rule(nonBreakingSpaces(), FRACTION),
            rule(token(PtbLexer::spellFractions), "[\\u00BC\\u00BD\\u00BE\\u2153-\\u215E]"),
            rule(token(PtbLexer::ampersands), "(?i:-(?:rrb|lrb|rcb|lcb|rsb|lsb)-|c\\.d\\.s|pro-|anti-"
                    + "|s(?:&|&amp;)p-500|s(?:&|&amp;)ls|cap" + APOS + "n|c" + APOS + "est)"),
            rule(raw(), SLASHED),
            rule(raw(), "[A-Z]*\\$|#"),
            rule(token(PtbLexer::currency), "[\\u00A2\\u00A3\\u00A4\\u00A5\\u0080\\u20A0\\u20AC\\u060B\\u0E3F\\u20A4"
                    + "\\uFFE0\\uFFE1\\uFFE5\\uFFE6]"),
            // abbreviations and acronyms
            rule(PtbLexer::sentenceFinalAcronym,
                    followedBy(ACRONYM + "\\.", SPACE_OR_NEWLINE + "+" + SENTENCE_START + SPACE_OR_NEWLINE)),
            rule(raw(), followedBy("(?i:ca|figs?|prop|nos?|art|bldg|pp|op)\\.", SPACE_OR_NEWLINE + "?" + DIGIT)),
            rule(raw(), followedBy("(?:(?i:pt)[eyEY]|(?i:co))\\.", SPACE + "(?i:ltd|lim)")),
            rule(periodAgain(),
                    followedBy(ABBREVIATION, SPACE_OR_NEWLINE + "(?:" + SPACE_OR_NEWLINE + "|\\p{Lu}|" + SGML + ")")),
            rule(raw(), followedBy(ABBREVIATION, "[\\s\\S]{2}")),
            rule(periodAgain(), ABBREVIATION),
            rule(raw(), TITLE + "\\."),
            rule(raw(), followedBy(TITLE, SPACE)),
            rule(raw(), followedBy(ACRONYM, SPACE_OR_NEWLINE)),
            rule(raw(), followedBy(APOS + "[0-9][0-9]", SPACE_OR_NEWLINE)),
            rule(raw(), followedBy(FILE_NAME, "(?:" + SPACE_OR_NEWLINE + "|[.?!,])")),
            rule(noSoftHyphens(), followedBy(WORD + "\\.", IN_SENTENCE_PUNCT)),
            rule(token(PtbLexer::phone), PHONE, DOTTED_PHONE),
            // quotes, brackets and other punctuation
            rule(openingQuotes(), followedBy(DOUBLE_QUOTE, "[A-Za-z0-9$]")),
            rule(closingQuotes(), DOUBLE_QUOTE),
            rule(replaceWith("<"), "<|(?i:&lt;)"),
            rule(replaceWith(">"), ">|(?i:&gt;)"),
            rule(token(PtbLexer::parentheses), followedBy(SMILEY, "[^A-Za-z0-9]")),
            rule(token(PtbLexer::parentheses), "[-^x=~<>']_[-^x=~<>']", "\\([-^x=~<>'][_.]?[-^x=~<>']\\)",
                    "\\([\\^x=~<>']-[\\^x=~<>'`]\\)"),
            rule(replaceWith("-LCB-"), "\\{"),
            rule(replaceWith("-RCB-"), "\\}"),
            rule(replaceWith("-LSB-"), "\\["),
            rule(replaceWith("-RSB-"), "\\]"),
            rule(replaceWith("-LRB-"), "\\("),
            rule(replaceWith("-RRB-"), "\\)"),
            rule(token(text -> text.length() == 3 || text.length() == 4 ? "--" : text), "-+"),
            rule(replaceWith("..."), "\\.{3,5}", "(?:\\.[ \\u00A0]){2,4}\\.", "[\\u0085\\u2026]"),
            rule(raw(), "@+|#+|_+"),
            rule(raw(), "\\*+|(?:\\\\\\*){1,3}"),
            rule(raw(), IN_SENTENCE_PUNCT),
            rule(raw(), "[?!]+"),
            rule(raw(), "[.\\u00A1\\u00BF\\u037E\\u0589\\u061F\\u06D4\\u0700-\\u0702\\u07FA\\u3002]"),
            rule(raw(), "="),
            rule(raw(), "/"),
            rule(noSoftHyphens(), followedBy(COMPOUND + "\\.", IN_SENTENCE_PUNCT)),
            rule(noSoftHyphens(), COMPOUND),
            rule(raw(), followedBy(HYPHENATED_WORD + "\\.", IN_SENTENCE_PUNCT)),
            rule(raw(), HYPHENATED_WORD),
            rule(token(PtbLexer::ampersands), followedBy(CAPS_COMPOUND + "\\.", IN_SENTENCE_PUNCT)),
            rule(token(PtbLexer::ampersands), CAPS_COMPOUND),
            // a quote before a word opens it
            rule(openingQuotes(), followedBy("'", "[A-Za-z][^ \\t\\n\\r\\u00A0]")),
            rule(closingQuotes(), CLITIC),
            rule(closingQuotes(), NT),
            rule(closingQuotes(), APOS, "''", "[`\\u2018\\u2019\\u201A\\u201B\\u201C\\u201D\\u0091\\u0092\\u0093"
                    + "\\u0094\\u201E\\u201F\\u2039\\u203A\\u00AB\\u00BB]{1,2}"),
            rule(raw(), "<<|>>"),
            rule(raw(), MISC_SYMBOL),
            // white space, zero-width characters and line ends separate tokens and give none
            rule(skip(),
                    "\\u0000|\\u007F|" + SPACE + "+|[\\u200B\\u200E\\u200F\\uFEFF]|(?i:&nbsp;)|" + SPACE_OR_NEWLINE));

    /** What one rule makes of the text it matched: a token (null for none) and how many characters it used. */
    private record Lexeme(String token, int used) {}

    private interface Action {
        Lexeme apply(String text);
    }

    /** A rule: one or more patterns, of which the longest match counts, and what to make of it. */
    private record Rule(List<Alternative> alternatives, Action action) {}

    /**
     * One pattern of a rule.
     *
     * @param trailing    whether the token ends at group {@code t}, before text the rule only looks at
     * @param asciiStarts the ASCII characters a match can start with (a shortcut: at others it is not tried)
     */
    private record Alternative(Pattern pattern, boolean trailing, boolean[] asciiStarts) {

        static Alternative of(String regex) {
            Pattern pattern = Pattern.compile(regex);
            boolean[] starts = new boolean[128];
            for (char c = 0; c < 128; c++) {
                // a pattern that can start with c either matches c alone or needs more text after it
                Matcher m = pattern.matcher(String.valueOf(c));
                starts[c] = m.lookingAt() || m.hitEnd();
            }
            return new Alternative(pattern, regex.startsWith(TOKEN), starts);
        }
    }

    /** @return the tokens of {@code line}; a line break inside separates tokens as a space does */
    List<String> tokens(String line) {
        // The scanner reads the line as CoreNLP reads a line of its input file: followed by a line break. Characters
        // outside the Basic Multilingual Plane are masked, as CoreNLP's lexer sees their two halves as two unknown
        // characters; tokens are still cut from the original text.
        String original = line + "\n";
        String text = maskSupplementary(original);
        List<List<Matcher>> matchers = RULES.stream()
                .map(r -> r.alternatives().stream().map(a -> a.pattern().matcher(text)).toList()).toList();
        List<String> tokens = new ArrayList<>();
        int position = 0;
        while (position < text.length()) {
            int bestLength = 0;
            int tokenEnd = 0;
            Rule best = null;
            char first = text.charAt(position);
            for (int r = 0; r < RULES.size(); r++) {
                List<Alternative> alternatives = RULES.get(r).alternatives();
                for (int a = 0; a < alternatives.size(); a++) {
                    Alternative alternative = alternatives.get(a);
                    if (first < 128 && !alternative.asciiStarts()[first]) {
                        continue;
                    }
                    Matcher m = matchers.get(r).get(a).region(position, text.length());
                    if (m.lookingAt() && m.end() - position > bestLength) {
                        bestLength = m.end() - position;
                        tokenEnd = alternative.trailing() ? m.end("t") : m.end();
                        best = RULES.get(r);
                    }
                }
            }
            if (best == null) {
                position++; // untokenizable: dropped
                continue;
            }
            Lexeme lexeme = best.action().apply(original.substring(position, tokenEnd));
            if (lexeme.token() != null) {
                tokens.add(lexeme.token());
            }
            position += lexeme.used();
        }
        return tokens;
    }

    private static String maskSupplementary(String s) {
        char[] chars = s.toCharArray();
        for (int i = 0; i < chars.length; i++) {
            if (Character.isSurrogate(chars[i])) {
                chars[i] = '\uFFFF';
            }
        }
        return new String(chars);
    }

    private static Rule rule(Action action, String... regexes) {
        return new Rule(Arrays.stream(regexes).map(Alternative::of).toList(), action);
    }

    /** A token followed by trailing context: the rule looks at the context but leaves it to be read. */
    private static String followedBy(String token, String context) {
        return TOKEN + token + ")" + context;
    }

    /** Caseless alternatives, except that a leading {@code [X]} matches X only. */
    private static String alternatives(String... words) {
        return Arrays.stream(words)
                .map(w -> w.startsWith("[") ? w.substring(0, 3) + "(?i:" + w.substring(3) + ")" : "(?i:" + w + ")")
                .collect(Collectors.joining("|"));
    }

    // --- Actions ---

    /** The whole match, normalised, is the token. */
    private static Action token(UnaryOperator<String> normalize) {
        return text -> new Lexeme(normalize.apply(text), text.length());
    }

    private static Action raw() {
        return token(text -> text);
    }

    private static Action replaceWith(String token) {
        return token(text -> token);
    }

    private static Action skip() {
        return text -> new Lexeme(null, text.length());
    }

    /** The first {@code n} characters are the token; the rest is read again. */
    private static Action keepFirst(int n) {
        return text -> new Lexeme(text.substring(0, n), n);
    }

    /** An abbreviation that also ends the sentence keeps its period and gives it again as the next token. */
    private static Action periodAgain() {
        return text -> new Lexeme(text, text.length() - 1);
    }

    /** A one-letter acronym ("I.") loses its period to the next token; a longer one keeps it and gives it again. */
    private static Lexeme sentenceFinalAcronym(String text) {
        return text.length() == 2 ? new Lexeme(text.substring(0, 1), 1) : new Lexeme(text, text.length() - 1);
    }

    private static Action noSoftHyphens() {
        return token(text -> {
            if (text.indexOf('\u00AD') < 0) {
                return text;
            }
            String without = text.replace("\u00AD", "");
            return without.isEmpty() ? "-" : without;
        });
    }

    /** Spaces inside a token (a fraction like "2 1/2", a tag) become non-breaking spaces. */
    private static Action nonBreakingSpaces() {
        return token(text -> text.replace(' ', '\u00A0'));
    }

    private static String ampersands(String text) {
        return AMP_ENTITY.matcher(text).replaceAll("&");
    }

    private static String parentheses(String text) {
        return text.replace("(", "-LRB-").replace(")", "-RRB-");
    }

    private static String phone(String text) {
        return parentheses(text.replace(' ', '\u00A0'));
    }

    private static String spellFractions(String text) {
        return text.replace("\u00BC", "1/4").replace("\u00BD", "1/2").replace("\u00BE", "3/4")
                .replace("\u2153", "1/3").replace("\u2154", "2/3");
    }

    /** The PTB's currencies: cents, # for the pound, $ for the euro and the generic sign. */
    private static String currency(String text) {
        return EURO_AND_SUCH.matcher(text.replace("\u00A2", "cents").replace("\u00A3", "#")).replaceAll("\\$");
    }

    /** LaTeX-style quotes: ` and `` open, ' and '' close. */
    private static Action openingQuotes() {
        return token(text -> latexQuotes(text, true));
    }

    private static Action closingQuotes() {
        return token(text -> latexQuotes(text, false));
    }

    private static String latexQuotes(String text, boolean opening) {
        String s = SINGLE_QUOTE.matcher(text).replaceAll(opening ? "`" : "'");
        s = DOUBLE_QUOTE_TEXT.matcher(s).replaceAll(opening ? "``" : "''");
        return s.replaceAll("[\\u0091\\u2018\\u201B\\u2039]", "`").replaceAll("[\\u0092\\u2019\\u203A]", "'")
                .replaceAll("[\\u0093\\u201C\\u00AB]", "``").replaceAll("[\\u0094\\u201D\\u00BB]", "''");
    }
}
