package org.tiaoyu.qformer.eval;

import java.util.List;

/**
 * One question's ground truth as {@code vqaEval.py} uses it, from an entry of a VQA annotation file
 * ({@code annotations} of {@code v2_mscoco_val2014_annotations.json}). {@code multiple_choice_answer},
 * {@code answer_id} and {@code answer_confidence} play no part in the accuracy and are not kept.
 *
 * @param questionId   {@code question_id}
 * @param imageId      {@code image_id}
 * @param questionType {@code question_type}, e.g. {@code how many}
 * @param answerType   {@code answer_type}: {@code yes/no}, {@code number} or {@code other} in VQA v2
 * @param answers      the human answers ({@code answers[].answer}, ten in VQA), as written, in file order
 */
public record VqaAnnotation(long questionId, long imageId, String questionType, String answerType,
        List<String> answers) {

    public VqaAnnotation {
        answers = List.copyOf(answers);
    }
}
