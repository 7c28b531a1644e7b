import type { z } from "zod";
import type { accountSchema, pointsTransactionSchema } from "../http/schemas/accounts.js";
import type { createRedemptionBody, redemptionSchema } from "../http/schemas/redemptions.js";
import type { createRewardBody, rewardSchema, updateRewardBody } from "../http/schemas/rewards.js";

/** The API's own schemas, as TypeScript types: the client can't drift from what the server validates. */
export type LoyaltyAccount = z.output<typeof accountSchema>;
export type PointsTransaction = z.output<typeof pointsTransactionSchema>;
export type Reward = z.output<typeof rewardSchema>;
export type Redemption = z.output<typeof redemptionSchema>;

export type RewardCreateParams = z.input<typeof createRewardBody>;
export type RewardUpdateParams = z.input<typeof updateRewardBody>;
export type RedemptionCreateParams = z.input<typeof createRedemptionBody>;

export interface ListParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}
