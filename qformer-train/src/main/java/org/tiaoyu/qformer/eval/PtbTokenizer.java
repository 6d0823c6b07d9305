package org.tiaoyu.qformer.eval;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * pycocoevalcap's tokenisation step ({@code tokenizer/ptbtokenizer.py}): each caption, its newlines replaced by
 * spaces, tokenised as Stanford CoreNLP 3.4.1 does it with
 * {@code edu.stanford.nlp.process.PTBTokenizer -preserveLines -lowerCase} (one caption per line), then every token
 * in pycocoevalcap's {@code PUNCTUATIONS} list dropped and the rest joined by single spaces.
 *
 * <p>Written by hand rather than calling CoreNLP, because CoreNLP is licensed under the GPL, which this
 * Apache-2.0 library cannot depend on. A test compares the two on several thousand captions, hand-written and
 * random. Covered: words; clitics ({@code man's} → {@code man 's}, {@code doesn't} → {@code does n't},
 * {@code won't} → {@code wo n't}, {@code can't} → {@code ca n't}); {@code cannot} → {@code can not};
 * {@code gonna} → {@code gon na}; hyphenated and slashed words; words with apostrophes ({@code o'clock},
 * {@code rock 'n' roll}); quotes, straight and curly, which become {@code `` '' ` '} and are dropped; brackets
 * ({@code -lrb-}, {@code -rrb-}, {@code -lsb-}, ... stay, as the list has only the upper-case forms); numbers
 * ({@code 1,000}, {@code 3.5}, {@code 10:30}, dates, fractions; {@code 2 1/2} is one token with a non-breaking
 * space); abbreviations and acronyms ({@code u.s.}, {@code mr.}, {@code st.}, {@code no. 5}); ellipses, dashes,
 * {@code & % $ # @}, currency signs, symbols, smileys, HTML entities, accented and decomposed letters; emoji and
 * other characters CoreNLP cannot tokenise are dropped. Web addresses, e-mail addresses and markup follow
 * CoreNLP's patterns too, but were compared on fewer examples.
 *
 * <p>Known differences. Letters that entered Unicode after version 6.0 (a few Cyrillic, Armenian, Lao and Indic
 * ones) are letters here but dropped by CoreNLP. CoreNLP reads all captions as one file, and in two cases what
 * follows a caption changes its tokens: a caption ending in a one-letter abbreviation ({@code "vitamin C."})
 * followed by one starting with a word like "A" or "The" gives {@code c} there but {@code c.} here, and a smiley
 * at the very end of the file's last caption is split there; this class tokenises each caption as a line of its
 * own, followed by a line break. A carriage return, form feed or Unicode line separator inside a caption is read
 * as a space here, whereas CoreNLP starts a new line and pycocoevalcap then pairs every later caption with the
 * wrong tokens.
 *
 * <p>Instances are stateless and safe to share between threads.
 */
public final class PtbTokenizer {

    /** pycocoevalcap's {@code PUNCTUATIONS}, compared after lower-casing, exactly as in the Python. */
    private static final Set<String> PUNCTUATIONS = Set.of("''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
            ".", "?", "!", ",", ":", "-", "--", "...", ";");

    private final PtbLexer lexer = new PtbLexer();

    /** @return the caption as pycocoevalcap's tokenizer gives it to the scorers */
    public String tokenize(String caption) {
        return tokens(caption).stream().filter(t -> !PUNCTUATIONS.contains(t)).collect(Collectors.joining(" "));
    }

    /** @return CoreNLP's tokens for the caption, lower-cased as {@code -lowerCase} does, before any is dropped */
    public List<String> tokens(String caption) {
        return lexer.tokens(caption.replace('\n', ' ')).stream().map(t -> t.toLowerCase(Locale.ENGLISH)).toList();
    }
}
