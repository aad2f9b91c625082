//! Chat commands in slash form (Telegram style) and Chinese words (WeChat style).
