package org.tiaoyu.qformer.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tiaoyu.qformer.core.Fixtures;

class PtbTokenizerTest {

    private final PtbTokenizer tokenizer = new PtbTokenizer();

    /** Every reference and prediction of the fixtures, tokenised one at a time, as pycocoevalcap's batch run did. */
    @Test
    void reproducesTheFixturesTokenization() throws IOException {
        for (String corpus : List.of("caption", "caption_single")) {
            ObjectMapper json = new ObjectMapper();
            JsonNode expected = json.readTree(Fixtures.path("eval/" + corpus + "_tokenized.json").toFile());
            CocoCaptionFiles files = CocoCaptionFiles.read(Fixtures.path("eval/" + corpus + "_references.json"),
                    Fixtures.path("eval/" + corpus + "_predictions.json"));
            int checked = 0;
            for (Map.Entry<Object, String> p : files.predictions().entrySet()) {
                String id = p.getKey().toString();
                assertEquals(expected.get("predictions").get(id).asText(), tokenizer.tokenize(p.getValue()), id);
                List<String> references = files.references().get(p.getKey());
                JsonNode want = expected.get("references").get(id);
                assertEquals(want.size(), references.size(), id);
                for (int i = 0; i < references.size(); i++) {
                    assertEquals(want.get(i).asText(), tokenizer.tokenize(references.get(i)), id + " reference " + i);
                }
                checked += 1 + references.size();
            }
            assertEquals(expected.get("predictions").size(), files.predictions().size(), corpus);
            assertEquals(corpus.equals("caption") ? 112 : 6, checked, corpus);
        }
    }

    /** Each behaviour as CoreNLP 3.4.1 shows it (the comparison test runs these through CoreNLP too). */
    @Test
    void tokenizesAsCoreNlpDoes() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("A man's hand.", "a man 's hand"),
                Map.entry("It doesn't, won't, can't, DON'T.", "it does n't wo n't ca n't do n't"),
                Map.entry("I cannot", "i can not"),
                Map.entry("I'm gonna go", "i 'm gon na go"),
                Map.entry("a black-and-white photo in mid-air", "a black-and-white photo in mid-air"),
                Map.entry("a sign that says \"stop\"", "a sign that says stop"),
                Map.entry("“curly” it’s ‘quoted’", "curly it 's quoted"),
                Map.entry("a woman (in a hat) [x] {y}", "a woman -lrb- in a hat -rrb- -lsb- x -rsb- -lcb- y -rcb-"),
                Map.entry("1,000 dogs at 10:30, 3.5 miles", "1,000 dogs at 10:30 3.5 miles"),
                Map.entry("a 2 1/2 year old", "a 2\u00A01/2 year old"),
                Map.entry("the U.S. flag at 5 p.m.", "the u.s. flag at 5 p.m."),
                Map.entry("Mr. Smith on Main St. No. 5", "mr. smith on main st. no. 5"),
                Map.entry("wait... what?! -- no --- ----- yes", "wait what ?! no ----- yes"),
                Map.entry("salt & pepper, 20% off, $5, AT&T", "salt & pepper 20 % off $ 5 at&t"),
                Map.entry("five o'clock rock 'n' roll", "five o'clock rock 'n' roll"),
                Map.entry("   A  small   Kitchen  ", "a small kitchen"),
                Map.entry("a café, a naïve cat, 😀 emoji", "a café a naïve cat emoji"),
                Map.entry("a smiley :) here", "a smiley :-rrb- here"),
                Map.entry("...", ""),
                Map.entry("", ""));
        cases.forEach((caption, expected) -> assertEquals(expected, tokenizer.tokenize(caption), caption));
    }

    @Test
    void aNewlineInsideACaptionIsASpace() {
        assertEquals("a dog on a beach", tokenizer.tokenize("a dog\non a\nbeach"));
        assertEquals(List.of("a", "dog", "."), tokenizer.tokens("A dog."));
    }
}
