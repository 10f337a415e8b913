"""The click commands behind `ape run deploy | leverage | devnet` (the scripts only re-export them)."""
