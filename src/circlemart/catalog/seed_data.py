"""Vocabulary of the demo catalog: a three-level bilingual category tree, brands, words."""

from __future__ import annotations

# root (zh, en, slug, icon, palette) → mid (zh, en) → leaves (zh, en)
TREE: list[
    tuple[str, str, str, str, tuple[str, str], list[tuple[str, str, list[tuple[str, str]]]]]
] = [
    (
        "数码电器",
        "Electronics",
        "electronics",
        "📱",
        ("#3a7bd5", "#00d2ff"),
        [
            (
                "手机通讯",
                "Phones",
                [("智能手机", "Smartphone"), ("手机壳", "Phone Case"), ("充电器", "Charger")],
            ),
            (
                "影音娱乐",
                "Audio",
                [
                    ("蓝牙耳机", "Bluetooth Earphones"),
                    ("头戴式耳机", "Headphones"),
                    ("蓝牙音箱", "Bluetooth Speaker"),
                ],
            ),
            (
                "电脑办公",
                "Computers",
                [
                    ("笔记本电脑", "Laptop"),
                    ("机械键盘", "Mechanical Keyboard"),
                    ("无线鼠标", "Wireless Mouse"),
                ],
            ),
            (
                "智能设备",
                "Smart Devices",
                [("智能手表", "Smartwatch"), ("运动手环", "Fitness Band"), ("平板电脑", "Tablet")],
            ),
        ],
    ),
    (
        "美妆护肤",
        "Beauty",
        "beauty",
        "💄",
        ("#ff758c", "#ff7eb3"),
        [
            (
                "面部护肤",
                "Skincare",
                [("洗面奶", "Facial Cleanser"), ("精华液", "Serum"), ("面霜", "Face Cream")],
            ),
            (
                "彩妆",
                "Makeup",
                [("口红", "Lipstick"), ("粉底液", "Foundation"), ("眼影", "Eyeshadow")],
            ),
            ("香水", "Fragrance", [("女士香水", "Women's Perfume"), ("男士香水", "Men's Cologne")]),
        ],
    ),
    (
        "服饰鞋包",
        "Fashion",
        "fashion",
        "👗",
        ("#f6d365", "#fda085"),
        [
            (
                "女装",
                "Womenswear",
                [("连衣裙", "Dress"), ("针织衫", "Knit Sweater"), ("羽绒服", "Down Jacket")],
            ),
            ("男装", "Menswear", [("T恤", "T-Shirt"), ("衬衫", "Shirt"), ("夹克", "Jacket")]),
            (
                "鞋靴",
                "Shoes",
                [("运动鞋", "Sneakers"), ("帆布鞋", "Canvas Shoes"), ("靴子", "Boots")],
            ),
            (
                "箱包",
                "Bags",
                [("双肩包", "Backpack"), ("托特包", "Tote Bag"), ("行李箱", "Suitcase")],
            ),
        ],
    ),
    (
        "食品生鲜",
        "Food",
        "food",
        "🍜",
        ("#56ab2f", "#a8e063"),
        [
            (
                "休闲零食",
                "Snacks",
                [("坚果", "Mixed Nuts"), ("饼干", "Biscuits"), ("牛肉干", "Beef Jerky")],
            ),
            (
                "茶饮冲调",
                "Drinks",
                [("绿茶", "Green Tea"), ("咖啡豆", "Coffee Beans"), ("燕麦片", "Oatmeal")],
            ),
            (
                "粮油调味",
                "Pantry",
                [("大米", "Rice"), ("橄榄油", "Olive Oil"), ("酱油", "Soy Sauce")],
            ),
        ],
    ),
    (
        "家居生活",
        "Home",
        "home",
        "🏠",
        ("#8e9eab", "#c9d6df"),
        [
            (
                "家纺",
                "Bedding",
                [("四件套", "Bedding Set"), ("枕头", "Pillow"), ("毛毯", "Blanket")],
            ),
            (
                "厨具",
                "Kitchen",
                [
                    ("不粘锅", "Non-stick Pan"),
                    ("刀具", "Kitchen Knife"),
                    ("保温杯", "Vacuum Flask"),
                ],
            ),
            (
                "收纳清洁",
                "Storage",
                [("收纳箱", "Storage Box"), ("拖把", "Mop"), ("香薰", "Aroma Diffuser")],
            ),
        ],
    ),
    (
        "母婴玩具",
        "Baby & Toys",
        "baby",
        "🧸",
        ("#a18cd1", "#fbc2eb"),
        [
            (
                "婴儿用品",
                "Baby Care",
                [("纸尿裤", "Diapers"), ("奶瓶", "Baby Bottle"), ("婴儿推车", "Stroller")],
            ),
            (
                "儿童玩具",
                "Toys",
                [("积木", "Building Blocks"), ("毛绒玩具", "Plush Toy"), ("拼图", "Jigsaw Puzzle")],
            ),
        ],
    ),
    (
        "运动户外",
        "Sports",
        "sports",
        "⛺",
        ("#11998e", "#38ef7d"),
        [
            (
                "户外装备",
                "Outdoor",
                [("帐篷", "Tent"), ("登山鞋", "Hiking Boots"), ("露营灯", "Camping Lantern")],
            ),
            (
                "健身训练",
                "Fitness",
                [("瑜伽垫", "Yoga Mat"), ("哑铃", "Dumbbell"), ("跳绳", "Jump Rope")],
            ),
            ("骑行", "Cycling", [("自行车", "Bicycle"), ("骑行头盔", "Cycling Helmet")]),
        ],
    ),
    (
        "宠物",
        "Pets",
        "pets",
        "🐱",
        ("#ee9ca7", "#ffdde1"),
        [
            (
                "猫咪",
                "Cats",
                [("猫粮", "Cat Food"), ("猫砂", "Cat Litter"), ("猫抓板", "Cat Scratcher")],
            ),
            (
                "狗狗",
                "Dogs",
                [("狗粮", "Dog Food"), ("牵引绳", "Dog Leash"), ("宠物窝", "Pet Bed")],
            ),
        ],
    ),
]

# brand (zh, en) per root slug
BRANDS: dict[str, list[tuple[str, str]]] = {
    "electronics": [
        ("索尼", "Sony"),
        ("华为", "Huawei"),
        ("小米", "Xiaomi"),
        ("苹果", "Apple"),
        ("漫步者", "Edifier"),
        ("罗技", "Logitech"),
        ("联想", "Lenovo"),
        ("倍思", "Baseus"),
    ],
    "beauty": [
        ("兰蔻", "Lancome"),
        ("雅诗兰黛", "Estee Lauder"),
        ("完美日记", "Perfect Diary"),
        ("花西子", "Florasis"),
        ("珀莱雅", "Proya"),
        ("欧莱雅", "L'Oreal"),
    ],
    "fashion": [
        ("优衣库", "Uniqlo"),
        ("李宁", "Li-Ning"),
        ("安踏", "Anta"),
        ("耐克", "Nike"),
        ("波司登", "Bosideng"),
        ("太平鸟", "Peacebird"),
        ("新秀丽", "Samsonite"),
    ],
    "food": [
        ("三只松鼠", "Three Squirrels"),
        ("良品铺子", "Bestore"),
        ("百草味", "Be&Cheery"),
        ("雀巢", "Nestle"),
        ("金龙鱼", "Arawana"),
        ("海天", "Haitian"),
    ],
    "home": [
        ("罗莱", "Luolai"),
        ("苏泊尔", "Supor"),
        ("膳魔师", "Thermos"),
        ("宜家", "IKEA"),
        ("网易严选", "Yanxuan"),
    ],
    "baby": [("帮宝适", "Pampers"), ("贝亲", "Pigeon"), ("乐高", "LEGO"), ("好孩子", "Goodbaby")],
    "sports": [
        ("迪卡侬", "Decathlon"),
        ("牧高笛", "Mobigarden"),
        ("Keep", "Keep"),
        ("捷安特", "Giant"),
    ],
    "pets": [("皇家", "Royal Canin"), ("渴望", "Orijen"), ("小佩", "Petkit")],
}

ADJECTIVES: list[tuple[str, str]] = [
    ("新款", "New"),
    ("经典", "Classic"),
    ("轻薄", "Slim"),
    ("升级版", "Upgraded"),
    ("旗舰", "Flagship"),
    ("便携", "Portable"),
    ("高端", "Premium"),
    ("限量", "Limited"),
    ("无线", "Wireless"),
    ("静音", "Silent"),
    ("有机", "Organic"),
    ("加厚", "Thick"),
    ("简约", "Minimal"),
    ("复古", "Retro"),
    ("降噪", "Noise-Cancelling"),
]

# option name → values, per root slug
OPTIONS: dict[str, list[tuple[str, list[str]]]] = {
    "electronics": [
        ("颜色", ["黑色", "白色", "银色", "蓝色"]),
        ("版本", ["标准版", "Pro", "128GB", "256GB"]),
    ],
    "beauty": [("规格", ["30ml", "50ml", "100ml", "旅行装"]), ("色号", ["#01", "#02", "#03"])],
    "fashion": [
        ("颜色", ["黑色", "白色", "卡其", "藏青", "红色"]),
        ("尺码", ["S", "M", "L", "XL"]),
    ],
    "food": [("规格", ["250g", "500g", "1kg", "礼盒装"]), ("口味", ["原味", "香辣", "蜂蜜"])],
    "home": [("颜色", ["灰色", "米白", "雾蓝"]), ("尺寸", ["小号", "中号", "大号"])],
    "baby": [("规格", ["S", "M", "L", "XL"]), ("款式", ["男孩", "女孩", "中性"])],
    "sports": [("颜色", ["黑色", "军绿", "橙色"]), ("尺寸", ["单人", "双人", "家庭"])],
    "pets": [("规格", ["1.5kg", "2kg", "10kg"]), ("口味", ["鸡肉", "三文鱼", "牛肉"])],
}

# typical price range in fen per root slug
PRICE_RANGE: dict[str, tuple[int, int]] = {
    "electronics": (4_900, 899_900),
    "beauty": (3_900, 159_900),
    "fashion": (2_900, 199_900),
    "food": (990, 29_900),
    "home": (1_900, 99_900),
    "baby": (1_990, 199_900),
    "sports": (1_900, 399_900),
    "pets": (990, 69_900),
}

TAGS = [
    "新品",
    "爆款",
    "包邮",
    "限时折扣",
    "国货",
    "进口",
    "好评如潮",
    "送礼推荐",
    "环保",
    "达人推荐",
]
