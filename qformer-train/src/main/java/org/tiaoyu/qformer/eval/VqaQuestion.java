package org.tiaoyu.qformer.eval;

/**
 * One entry of a VQA question file ({@code questions} of {@code v2_OpenEnded_mscoco_val2014_questions.json}).
 *
 * @param questionId {@code question_id}
 * @param imageId    {@code image_id}
 * @param question   {@code question}
 */
public record VqaQuestion(long questionId, long imageId, String question) {}
