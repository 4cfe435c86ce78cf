"""Text analysis shared by every stage: Arabic-aware tokens and stems, sentence bounds,
focus terms and cross-script name matching."""
