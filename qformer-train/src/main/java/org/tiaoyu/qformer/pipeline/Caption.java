package org.tiaoyu.qformer.pipeline;

/**
 * One generated text for one image.
 *
 * @param image  the image's name (its path, for a file)
 * @param prompt the text prompt ({@code ""} for none)
 * @param text   what HF's {@code processor.batch_decode(sequences, skip_special_tokens=True)} gives: for OPT the
 *               prompt followed by the new text, for T5 the new text only
 * @param continuation the new text alone, without the prompt, as LAVIS's {@code generate} returns it (LAVIS runs
 *               OPT on embeddings, so its output has no prompt); for T5 the same as {@code text}
 * @param tokens HF's {@code sequences} row the text was decoded from
 * @param score  beam search's {@code sequences_scores} entry; NaN for greedy decoding and sampling
 */
public record Caption(String image, String prompt, String text, String continuation, long[] tokens, double score) {}
