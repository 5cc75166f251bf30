/** Why a value was refused: `message` says what was expected. */
export class ValueRejected extends Error {}
