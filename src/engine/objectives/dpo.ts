/**
 * DPO losses as a function of h = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l)),
 * with their derivative dL/dh. sigmoid, ipo, hinge and robust are TRL's DPOTrainer formulas
 * (trl/trainer/dpo_trainer.py, 1.10): for ipo the caller passes h from per-token means, as TRL
 * does. cdpo is the conservative DPO that older TRL versions made of sigmoid with label
 * smoothing; TRL 1.10's sigmoid ignores label_smoothing, so it has a name of its own here.
 */
import type { Config } from '../config.ts';

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function dpoLoss(type: Config['dpo']['loss_type'], h: number, beta: number, ls: number): { loss: number; dLdh: number } {
  const x = beta * h;
  switch (type) {
    case 'sigmoid':
      return { loss: softplus(-x), dLdh: -beta * sigmoid(-x) };
    case 'cdpo':
      // −(1−ε)·log σ(βh) − ε·log σ(−βh): label smoothing treats a share ε of pairs as flipped.
      return {
        loss: (1 - ls) * softplus(-x) + ls * softplus(x),
        dLdh: beta * (-(1 - ls) * sigmoid(-x) + ls * sigmoid(x)),
      };
    case 'robust':
      // rDPO: an unbiased correction for preference noise of rate ε.
      return {
        loss: ((1 - ls) * softplus(-x) - ls * softplus(x)) / (1 - 2 * ls),
        dLdh: (beta * (-(1 - ls) * sigmoid(-x) - ls * sigmoid(x))) / (1 - 2 * ls),
      };
    case 'hinge':
      return 1 - x > 0 ? { loss: 1 - x, dLdh: -beta } : { loss: 0, dLdh: 0 };
    case 'ipo': {
      // IPO regresses the margin to 1/(2β) instead of pushing it to infinity.
      const d = h - 1 / (2 * beta);
      return { loss: d * d, dLdh: 2 * d };
    }
  }
}

/** DPO's TRL metrics from sums over K pairs (shared by both backends). */
export function dpoStats(rc: number, rr: number, acc: number, lc: number, lr: number, K: number) {
  return {
    'rewards/chosen': rc / K,
    'rewards/rejected': rr / K,
    'rewards/margins': (rc - rr) / K,
    'rewards/accuracies': acc / K,
    'logps/chosen': lc / K,
    'logps/rejected': lr / K,
  };
}
