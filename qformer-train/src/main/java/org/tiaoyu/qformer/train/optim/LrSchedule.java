package org.tiaoyu.qformer.train.optim;

/**
 * The learning rate for each training iteration. The trainer asks before every iteration and passes the answer to
 * {@link AdamW#setLr}, as LAVIS's {@code _train_inner_loop} ({@code lavis/tasks/base_task.py}) calls
 * {@code lr_scheduler.step(cur_epoch, cur_step)} before each one.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.LinearWarmupCosine,
        LrSchedule.StepwiseWarmupCosine {

    /**
     * @param step the iteration, counted from 0 over the whole run
     * @return the learning rate for that iteration
     */
    double lr(int step);

    /** The same rate at every step. */
    record Constant(double value) implements LrSchedule {

        public Constant {
            if (!(value >= 0)) {
                throw new IllegalArgumentException("learning rate must be >= 0, got " + value);
            }
        }

        /** {@inheritDoc} */
        @Override
        public double lr(int step) {
            if (step < 0) {
                throw new IllegalArgumentException("step must be >= 0, got " + step);
            }
            return value;
        }
    }

    /**
     * LAVIS's {@code LinearWarmupCosineLRScheduler} ({@code lavis/common/optims.py}), with a run's iteration
     * {@code step} split into {@code epoch = step / itersPerEpoch} and {@code i = step % itersPerEpoch}:
     * <ul>
     *   <li>epoch 0 ({@code warmup_lr_schedule}):
     *       {@code min(initLr, warmupLr + (initLr − warmupLr) · i / max(warmupSteps, 1))}, so the warm-up runs
     *       within the first epoch only and the rate then stays at {@code initLr} until the epoch ends;</li>
     *   <li>later epochs ({@code cosine_lr_schedule}):
     *       {@code (initLr − minLr) · ½ · (1 + cos(π · epoch / maxEpoch)) + minLr}, one value per epoch.</li>
     * </ul>
     * This is LAVIS's schedule as it is, including its step-per-epoch cosine (not a per-iteration one) and a
     * warm-up cut short at the end of epoch 0 when {@code warmupSteps > itersPerEpoch}. LAVIS's
     * {@code warmup_lr: -1} (the default) means "start at {@code init_lr}": pass {@code warmupLr = initLr}. The only
     * addition: a step at or past {@code maxEpoch · itersPerEpoch}, which LAVIS never reaches, is refused.
     *
     * @param initLr the peak rate ({@code init_lr})
     * @param minLr the rate the cosine ends at ({@code min_lr})
     * @param warmupLr the rate at step 0 ({@code warmup_lr})
     * @param warmupSteps iterations to reach {@code initLr} ({@code warmup_steps})
     * @param maxEpoch epochs in the run ({@code max_epoch})
     * @param itersPerEpoch iterations per epoch ({@code len(data_loader)}, or {@code iters_per_inner_epoch})
     */
    record LinearWarmupCosine(double initLr, double minLr, double warmupLr, int warmupSteps, int maxEpoch,
            int itersPerEpoch) implements LrSchedule {

        public LinearWarmupCosine {
            if (!(initLr >= 0 && minLr >= 0 && warmupLr >= 0)) {
                throw new IllegalArgumentException("learning rates must be >= 0, got initLr " + initLr + ", minLr "
                        + minLr + ", warmupLr " + warmupLr);
            }
            if (warmupSteps < 0 || maxEpoch < 1 || itersPerEpoch < 1) {
                throw new IllegalArgumentException("need warmupSteps >= 0, maxEpoch >= 1 and itersPerEpoch >= 1, got "
                        + warmupSteps + ", " + maxEpoch + ", " + itersPerEpoch);
            }
        }

        /**
         * LAVIS's BLIP-2 stage 1 ({@code lavis/projects/blip2/train/pretrain_stage1.yaml}): {@code init_lr 1e-4},
         * {@code min_lr 1e-5}, {@code warmup_lr 1e-6}, {@code warmup_steps 5000}, {@code max_epoch 10}.
         */
        public static LinearWarmupCosine lavisStage1(int itersPerEpoch) {
            return new LinearWarmupCosine(1e-4, 1e-5, 1e-6, 5000, 10, itersPerEpoch);
        }

        /** {@inheritDoc} */
        @Override
        public double lr(int step) {
            if (step < 0 || (long) step >= (long) maxEpoch * itersPerEpoch) {
                throw new IllegalArgumentException("step " + step + " is outside the schedule's " + maxEpoch
                        + " epochs of " + itersPerEpoch + " iterations");
            }
            int epoch = step / itersPerEpoch;
            int i = step % itersPerEpoch;
            if (epoch == 0) {
                return Math.min(initLr, warmupLr + (initLr - warmupLr) * i / Math.max(warmupSteps, 1));
            }
            return (initLr - minLr) * 0.5 * (1.0 + Math.cos(Math.PI * epoch / maxEpoch)) + minLr;
        }
    }

    /**
     * Linear warm-up then a cosine, every step (HF's {@code get_cosine_schedule_with_warmup} with a floor):
     * {@code warmupLr + (peakLr − warmupLr) · step / warmupSteps} for the first {@code warmupSteps} steps, then
     * {@code minLr + (peakLr − minLr) · ½ · (1 + cos(π · (step − warmupSteps) / (totalSteps − warmupSteps − 1)))}, so
     * the first step after the warm-up runs at {@code peakLr} and the last at {@code minLr}. Unlike
     * {@link LinearWarmupCosine}, the rate changes at every step and the warm-up may span epochs.
     *
     * @param totalSteps the run's optimizer steps; the last is {@code totalSteps − 1}
     */
    record StepwiseWarmupCosine(double peakLr, double minLr, double warmupLr, int warmupSteps, int totalSteps)
            implements LrSchedule {

        public StepwiseWarmupCosine {
            if (!(peakLr >= 0 && minLr >= 0 && warmupLr >= 0)) {
                throw new IllegalArgumentException("learning rates must be >= 0, got peakLr " + peakLr + ", minLr "
                        + minLr + ", warmupLr " + warmupLr);
            }
            if (warmupSteps < 0 || totalSteps < 1) {
                throw new IllegalArgumentException("need warmupSteps >= 0 and totalSteps >= 1, got " + warmupSteps
                        + ", " + totalSteps);
            }
        }

        /** {@inheritDoc} */
        @Override
        public double lr(int step) {
            if (step < 0 || step >= totalSteps) {
                throw new IllegalArgumentException("step " + step + " is outside the schedule's " + totalSteps
                        + " steps");
            }
            if (step < warmupSteps) {
                return warmupLr + (peakLr - warmupLr) * step / warmupSteps;
            }
            double progress = totalSteps - warmupSteps <= 1 ? 0.0
                    : (double) (step - warmupSteps) / (totalSteps - warmupSteps - 1);
            return minLr + (peakLr - minLr) * 0.5 * (1.0 + Math.cos(Math.PI * progress));
        }
    }
}
