"""Flash sales (秒杀): sessions of items at a flash price, taken through Redis and the database."""
