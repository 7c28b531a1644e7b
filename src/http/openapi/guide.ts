export const GUIDE_MARKDOWN = "Spend loyalty points for rewards.";
