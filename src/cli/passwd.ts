import type { Command } from 'commander'

// Placeholder while the command is written; replaced by its real implementation.
export function register(_program: Command): void {}
