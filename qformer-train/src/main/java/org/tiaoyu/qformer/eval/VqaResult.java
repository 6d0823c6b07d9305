package org.tiaoyu.qformer.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The accuracies {@code vqaEval.py} reports, in percent: {@code accuracy['overall']},
 * {@code accuracy['perAnswerType']}, {@code accuracy['perQuestionType']} and {@code evalQA}. Each map is in the
 * order its keys first appear in the annotation file, as the official dictionaries are.
 *
 * @param overall         the mean over all questions
 * @param perAnswerType   answer type → the mean over its questions
 * @param perQuestionType question type → the mean over its questions
 * @param perQuestion     question id → that question's accuracy
 */
public record VqaResult(VqaPercent overall, Map<String, VqaPercent> perAnswerType,
        Map<String, VqaPercent> perQuestionType, Map<Long, VqaPercent> perQuestion) {

    public VqaResult {
        perAnswerType = Collections.unmodifiableMap(new LinkedHashMap<>(perAnswerType));
        perQuestionType = Collections.unmodifiableMap(new LinkedHashMap<>(perQuestionType));
        perQuestion = Collections.unmodifiableMap(new LinkedHashMap<>(perQuestion));
    }
}
