"""Hand-written note templates for the demo world, per theme and language.

A note is written in one language (it is user content). Titles are templates whose {slots}
are filled from the theme's word lists; every combination is used at most once before any
repeats, so titles read as different notes. Bodies combine an opening, two to five middle
sentences and a closing, then the #topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    topic: str
    related: tuple[str, ...]
    illustrations: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]
    titles_zh: tuple[str, ...]
    titles_en: tuple[str, ...]
    openings_zh: tuple[str, ...]
    middles_zh: tuple[str, ...]
    openings_en: tuple[str, ...]
    middles_en: tuple[str, ...]
    covers_zh: tuple[str, ...]
    covers_en: tuple[str, ...]
    labels: tuple[str, ...] = field(default=())


CITIES = ("上海", "杭州", "成都", "北京", "深圳", "广州", "南京", "厦门", "长沙", "重庆")
CITIES_EN = ("Shanghai", "Hangzhou", "Chengdu", "Beijing", "Shenzhen", "Guangzhou", "Xiamen")
SEASONS = ("春季", "夏日", "秋冬", "早春", "初秋")
SEASONS_EN = ("spring", "summer", "autumn", "winter")

CLOSINGS_ZH = (
    "有问题评论区问我，看到都会回～",
    "先收藏，总有一天用得上！",
    "姐妹们冲之前记得看下自己的需求哦。",
    "以上都是自费购买，真实分享。",
    "下期想看什么？留言告诉我吧 😊",
    "希望对你有帮助，记得点赞收藏 ✨",
    "链接在笔记里挂好了，需要自取。",
)
CLOSINGS_EN = (
    "Questions? Ask in the comments, I read them all.",
    "Save this for later, you will thank me.",
    "Paid for everything myself, honest opinions only.",
    "Tell me what you want to see next 😊",
    "Hope this helps, happy weekend ✨",
)
TAGS_ZH = ("必看", "干货", "收藏", "回购", "种草", "合集", "攻略", "亲测")
TAGS_EN = ("Must try", "Top pick", "Save it", "New")
SUBLINES_ZH = ("收藏备用", "真实测评", "照着做就对了", "建议收藏", "保姆级攻略", "自用分享")
SUBLINES_EN = ("save for later", "honest review", "a simple guide", "tried and tested")

THEMES: tuple[Theme, ...] = (
    Theme(
        topic="美食",
        related=("周末去哪儿", "好物分享"),
        illustrations=("plate", "plate", "cup"),
        slots={
            "city": CITIES,
            "dish": (
                "红烧肉",
                "酸菜鱼",
                "番茄牛腩",
                "葱油拌面",
                "生煎包",
                "椰子鸡",
                "糖醋排骨",
                "芒果班戟",
                "麻辣香锅",
                "小馄饨",
            ),
            "city_en": CITIES_EN,
            "dish_en": (
                "dumplings",
                "beef noodles",
                "hotpot",
                "bao buns",
                "mango pancakes",
                "sweet and sour ribs",
                "wontons",
            ),
        },
        titles_zh=(
            "{city}这家{dish}，排队一小时也值了",
            "在家复刻{dish}，零失败版本来啦",
            "打工人一周便当｜{dish}篇",
            "{city}本地人私藏的{dish}小店",
            "第一次做{dish}就被全家夸爆了",
            "被一碗{dish}治愈的{city}周末",
        ),
        titles_en=(
            "The {dish_en} place in {city_en} worth the queue",
            "Recreating {dish_en} at home, no-fail version",
            "Weekday lunchbox ideas: {dish_en} edition",
            "Finally found proper {dish_en} in {city_en}",
        ),
        openings_zh=(
            "周末终于有空好好做顿饭，这道{dish}真的太下饭了！",
            "被朋友安利了好久的{dish}，今天终于吃上了。",
            "{city}吃了这么多家，{dish}还是这家最合我胃口。",
            "作为一个厨房小白，{dish}居然一次就成功了 🎉",
        ),
        middles_zh=(
            "关键是火候，一定要小火慢慢收汁。",
            "调料很简单，生抽、老抽、冰糖就够了。",
            "店面不大，但是干净整洁，服务也很热情。",
            "人均六十左右，分量很足，两个人吃撑了。",
            "建议工作日去，周末要排很久的队。",
            "配一碗白米饭，幸福感直接拉满。",
            "提前一晚腌好，第二天做起来特别快。",
            "锅具用的是普通铸铁锅，受热很均匀。",
        ),
        openings_en=(
            "Finally had a slow weekend to cook, and these {dish_en} were worth every minute.",
            "A friend kept telling me about this place, so I went for the {dish_en}.",
            "I have tried a lot of spots in {city_en} and this one is my favourite so far.",
        ),
        middles_en=(
            "The trick is patience: low heat and let the sauce reduce.",
            "The seasoning is simple, soy sauce, a little sugar and ginger.",
            "It is a tiny place but spotless, and the staff are lovely.",
            "Around sixty yuan per person and the portions are generous.",
            "Go on a weekday if you can, weekends mean a long queue.",
        ),
        covers_zh=("周末下厨", "一周便当", "本地人私藏", "零失败食谱", "好吃到哭", "深夜食堂"),
        covers_en=("Weekend Eats", "No-fail Recipes", "Local Favourites"),
        labels=("今日菜单", "Today's menu"),
    ),
    Theme(
        topic="咖啡探店",
        related=("周末去哪儿", "美食"),
        illustrations=("cup", "cup", "plant"),
        slots={
            "city": CITIES,
            "coffee": (
                "燕麦拿铁",
                "手冲耶加",
                "脏脏咖啡",
                "桂花拿铁",
                "冰美式",
                "椰青美式",
                "澳白",
            ),
            "n": ("3", "5", "7", "12"),
            "city_en": CITIES_EN,
            "coffee_en": (
                "oat latte",
                "pour-over",
                "flat white",
                "iced americano",
                "coconut cold brew",
            ),
        },
        titles_zh=(
            "{city}宝藏咖啡店｜{coffee}绝了",
            "藏在{city}老洋房里的咖啡店，出片率超高",
            "一杯{coffee}开启周末，氛围感拉满",
            "{city}咖啡地图第{n}站，人少又安静",
            "闭眼冲！这家的{coffee}真的好喝",
        ),
        titles_en=(
            "Hidden gem in {city_en}: the {coffee_en} is unreal",
            "My {city_en} coffee map, stop number {n}",
            "A quiet cafe for slow mornings and a good {coffee_en}",
        ),
        openings_zh=(
            "路过被门口的绿植吸引进去，没想到是宝藏店！",
            "{city}的咖啡店我已经打卡{n}家了，这家排前三。",
            "今天点了招牌{coffee}，第一口就爱上了 ☕",
            "周末的上午，找个安静的角落坐一会儿真好。",
        ),
        middles_zh=(
            "豆子是店主自己烘的，带一点花香和柑橘的酸。",
            "靠窗的位置光线特别好，随手一拍就很出片。",
            "甜品也不错，推荐巴斯克，不会太甜。",
            "工作日下午人不多，很适合带电脑来办公。",
            "价格在三十到四十之间，在{city}算良心了。",
            "店里放的歌也很好听，不知不觉坐了一下午。",
            "店员会耐心介绍豆子的风味，很适合新手。",
        ),
        openings_en=(
            "Walked past, saw the plants at the door and had to go in.",
            "I have visited {n} cafes in {city_en} this year and this one is in my top three.",
            "Ordered the house {coffee_en} and loved it from the first sip ☕",
        ),
        middles_en=(
            "They roast their own beans, floral with a bit of citrus.",
            "The window seats get beautiful light all afternoon.",
            "Weekday afternoons are quiet enough to work from here.",
            "Prices are fair for the city, around thirty-five yuan a cup.",
        ),
        covers_zh=("城市咖啡地图", "宝藏咖啡店", "周末去喝咖啡", "今日份拿铁", "探店合集"),
        covers_en=("Coffee Map", "Slow Mornings", "Cafe Hopping"),
        labels=("探店", "Cafe"),
    ),
    Theme(
        topic="ootd",
        related=("好物分享", "周末去哪儿"),
        illustrations=("clothes", "clothes", "bag"),
        slots={
            "season": SEASONS,
            "color": ("奶油白", "燕麦色", "雾霾蓝", "焦糖色", "鼠尾草绿", "酒红色"),
            "season_en": SEASONS_EN,
            "color_en": ("cream", "oatmeal", "dusty blue", "caramel", "sage green"),
        },
        titles_zh=(
            "小个子{season}穿搭｜显高又显瘦",
            "一周通勤穿搭不重样，{color}太温柔了",
            "{color}+白色，今年{season}最爱的配色",
            "梨形身材{season}穿搭公式，照着穿就对",
            "{season}约会穿搭，{color}被夸了一整天",
        ),
        titles_en=(
            "A {season_en} capsule wardrobe: 5 pieces, 10 outfits",
            "How I style {color_en} for the office",
            "Petite-friendly {season_en} outfits that actually work",
        ),
        openings_zh=(
            "最近特别迷{color}，温柔又显气色。",
            "身高155，分享几套{season}日常穿搭～",
            "通勤穿搭其实不难，记住这几个公式就够了。",
            "今天的OOTD被同事问了好几次链接 😂",
        ),
        middles_zh=(
            "上衣选短款或者塞进裤腰，比例一下就出来了。",
            "下装推荐高腰阔腿裤，遮肉又显腿长。",
            "鞋子选浅色，整体会更协调。",
            "配饰不用多，一条细项链就很精致。",
            "面料选垂感好的，不容易起皱。",
            "包包选小一点的，更显轻盈。",
        ),
        openings_en=(
            "I have been living in {color_en} lately, soft and easy to wear.",
            "Five foot one here, sharing a few {season_en} outfits I repeat all the time.",
            "Office outfits do not need to be hard, a few formulas are enough.",
        ),
        middles_en=(
            "Cropped tops or a front tuck fix the proportions right away.",
            "High-waisted wide-leg trousers are my everyday go-to.",
            "Light shoes keep the whole look calm.",
            "One thin necklace is all the jewellery you need.",
        ),
        covers_zh=("一周穿搭", "小个子穿搭", "通勤公式", "显瘦秘籍", "今日OOTD"),
        covers_en=("Outfit Ideas", "Capsule Wardrobe", "OOTD"),
        labels=("穿搭", "OOTD"),
    ),
    Theme(
        topic="开箱",
        related=("数码", "好物分享"),
        illustrations=("gadget", "bag", "gadget"),
        slots={
            "gadget": (
                "降噪耳机",
                "机械键盘",
                "拍立得",
                "电动牙刷",
                "香薰机",
                "蓝牙音箱",
                "迷你投影仪",
                "咖啡机",
            ),
            "price": ("199", "299", "399", "599", "899"),
            "gadget_en": (
                "noise-cancelling headphones",
                "mechanical keyboard",
                "instant camera",
                "mini projector",
                "coffee machine",
            ),
        },
        titles_zh=(
            "{gadget}开箱｜颜值和质感都超出预期",
            "等了半个月的{gadget}终于到了！",
            "{price}元的{gadget}，到底值不值得买？",
            "开箱｜这台{gadget}的细节太加分了",
        ),
        titles_en=(
            "Unboxing my new {gadget_en}",
            "Is a {price} yuan {gadget_en} worth it?",
        ),
        openings_zh=(
            "快递一到就迫不及待拆开了，包装很用心。",
            "纠结了很久才下单，这次终于拔草了。",
            "这个价位能做成这样，真的有点惊喜。",
            "给自己的生日礼物，开箱记录一下 🎁",
        ),
        middles_zh=(
            "外壳是磨砂质感，拿在手里很舒服，不沾指纹。",
            "配件很齐全，说明书也写得很清楚。",
            "续航官方说三十小时，我实测差不多。",
            "唯一的小缺点是颜色选择不多。",
            "连接很快，打开就能用，对新手很友好。",
            "和之前用的那款比，声音明显更干净。",
        ),
        openings_en=(
            "The parcel arrived this morning and I opened it straight away.",
            "I went back and forth for weeks before ordering this one.",
            "A little birthday present to myself, so here is the unboxing 🎁",
        ),
        middles_en=(
            "The matte finish feels great and does not pick up fingerprints.",
            "Everything you need is in the box, and the manual is clear.",
            "Battery life is close to what they claim in my testing.",
            "My only complaint is the limited choice of colours.",
        ),
        covers_zh=("开箱啦", "拔草记录", "值不值得买", "新品开箱"),
        covers_en=("Unboxing", "Worth It?", "First Look"),
        labels=("开箱", "Unboxing"),
    ),
    Theme(
        topic="数码",
        related=("开箱", "好物分享"),
        illustrations=("gadget", "gadget", "plant"),
        slots={
            "gadget": ("平板", "机械键盘", "显示器", "降噪耳机", "智能手表", "移动硬盘", "电纸书"),
            "n": ("3", "5", "7"),
            "gadget_en": ("tablet", "e-reader", "smart watch", "monitor", "keyboard"),
        },
        titles_zh=(
            "用了三个月的{gadget}，说点真实感受",
            "学生党{gadget}怎么选？看这篇就够了",
            "桌面改造｜一台{gadget}让效率翻倍",
            "{gadget}的{n}个隐藏用法，太好用了",
        ),
        titles_en=(
            "{n} hidden tricks for your {gadget_en}",
            "Desk setup upgrade: the {gadget_en} changed everything",
            "Three months with a new {gadget_en}: an honest review",
        ),
        openings_zh=(
            "作为一个每天对着电脑十小时的打工人，这次升级很值。",
            "很多人问我{gadget}怎么选，统一回答一下。",
            "不吹不黑，用了三个月的真实体验。",
        ),
        middles_zh=(
            "屏幕素质在同价位里算很能打的。",
            "系统流畅，日常用完全没有卡顿。",
            "建议买大一档的存储，后期不会后悔。",
            "配合快捷键使用，效率提升特别明显。",
            "发热控制得不错，夏天也不烫手。",
            "预算有限的话，上一代也完全够用。",
        ),
        openings_en=(
            "I spend ten hours a day at a desk, so this upgrade mattered.",
            "People keep asking how to pick a {gadget_en}, so here is my answer.",
            "No hype, just three months of daily use.",
        ),
        middles_en=(
            "The screen is excellent for the price.",
            "It stays smooth in daily use, no stutters at all.",
            "Get the larger storage option, you will not regret it.",
            "If budget is tight, last year's model is still great.",
        ),
        covers_zh=("桌面改造", "数码好物", "真实体验", "选购指南"),
        covers_en=("Desk Setup", "Honest Review", "Buying Guide"),
        labels=("数码", "Tech"),
    ),
    Theme(
        topic="健身打卡",
        related=("好物分享", "ootd"),
        illustrations=("dumbbell", "dumbbell", "sun"),
        slots={
            "n": ("21", "30", "60", "100"),
            "part": ("肩背", "臀腿", "核心", "手臂"),
            "sport": ("跑步", "跳绳", "普拉提", "瑜伽", "游泳"),
            "minutes": ("15", "20", "30"),
            "sport_en": ("running", "pilates", "yoga", "jump rope"),
        },
        titles_zh=(
            "健身第{n}天｜{part}训练计划分享",
            "居家{minutes}分钟燃脂，不伤膝盖",
            "坚持{sport}{n}天，我的身体变化",
            "新手{sport}入门，这几件装备就够了",
        ),
        titles_en=(
            "Day {n} of my {sport_en} challenge",
            "{minutes}-minute home workout, no equipment",
            "Beginner {sport_en} gear that is actually worth it",
        ),
        openings_zh=(
            "今天是打卡的第{n}天，终于养成习惯了 💪",
            "下班后在家练{minutes}分钟，出了一身汗。",
            "从一开始跑两公里都喘，到现在轻松五公里。",
        ),
        middles_zh=(
            "热身一定不能省，不然第二天会特别酸。",
            "动作标准比次数更重要，慢一点没关系。",
            "饮食上多吃蛋白质，少喝含糖饮料。",
            "睡眠真的很重要，练完早点休息。",
            "记录每天的数据，看到进步会很有动力。",
            "一双合脚的运动鞋能少走很多弯路。",
        ),
        openings_en=(
            "Day {n} and it finally feels like a habit 💪",
            "A quick {minutes}-minute session after work and I am soaked.",
            "I started out out of breath after two kilometres, now five feels easy.",
        ),
        middles_en=(
            "Never skip the warm-up, your legs will thank you tomorrow.",
            "Good form matters more than reps, slow down.",
            "Sleep is half the training, go to bed early.",
            "Tracking every session keeps me motivated.",
        ),
        covers_zh=("打卡第一天", "居家燃脂", "健身日记", "自律的我"),
        covers_en=("Workout Diary", "Home Workout", "Day One"),
        labels=("打卡", "Workout"),
    ),
    Theme(
        topic="旅行",
        related=("周末去哪儿", "美食"),
        illustrations=("sun", "sun", "plant"),
        slots={
            "place": (
                "大理",
                "厦门",
                "青岛",
                "西安",
                "桂林",
                "西双版纳",
                "婺源",
                "稻城亚丁",
                "阿勒泰",
            ),
            "days": ("3", "4", "5"),
            "budget": ("1500", "2000", "3000"),
            "n": ("5", "8", "10"),
            "place_en": ("Dali", "Xiamen", "Qingdao", "Xi'an", "Guilin"),
            "days_en": ("three", "four", "five"),
        },
        titles_zh=(
            "{place}{days}天攻略，人均{budget}元玩转",
            "去{place}一定要去的{n}个地方",
            "{place}小众拍照机位，人少景美",
            "一个人的{place}之旅，太治愈了",
        ),
        titles_en=(
            "{days_en} days in {place_en} on a budget",
            "{n} places you cannot miss in {place_en}",
            "Solo trip to {place_en}: slow days and good food",
        ),
        openings_zh=(
            "说走就走的{place}之旅，整理了一份攻略给大家。",
            "在{place}待了{days}天，每天都不想回家。",
            "这次旅行最大的感受就是：慢下来真好。",
        ),
        middles_zh=(
            "住宿选在古城附近，吃饭逛街都方便。",
            "早上七点去人最少，光线也最好看。",
            "当地的小吃一定要试，便宜又好吃。",
            "交通建议租电动车，随停随走很自由。",
            "防晒一定要做好，紫外线真的很强。",
            "淡季去机票酒店都便宜一半。",
        ),
        openings_en=(
            "A last-minute trip to {place_en}, so here is my itinerary.",
            "I spent {days_en} days in {place_en} and did not want to leave.",
            "The best thing about this trip: slowing down.",
        ),
        middles_en=(
            "Stay near the old town, everything is walkable.",
            "Go at seven in the morning for empty streets and soft light.",
            "Try the street food, it is cheap and delicious.",
            "Pack sunscreen, the sun is stronger than you think.",
        ),
        covers_zh=("旅行攻略", "说走就走", "小众旅行地", "城市漫游"),
        covers_en=("Travel Guide", "Slow Travel", "Weekend Trip"),
        labels=("旅行", "Travel"),
    ),
    Theme(
        topic="护肤",
        related=("好物分享", "ootd"),
        illustrations=("bottle", "bottle", "plant"),
        slots={
            "skin": ("干皮", "油皮", "混油皮", "敏感肌"),
            "season": SEASONS,
            "product": ("精华", "面霜", "防晒", "洁面", "面膜", "水乳"),
            "n": ("3", "5", "6"),
            "skin_en": ("dry", "oily", "combination", "sensitive"),
            "product_en": ("serum", "moisturiser", "sunscreen", "cleanser"),
            "season_en": SEASONS_EN,
        },
        titles_zh=(
            "{skin}的{season}护肤流程，亲测有效",
            "空瓶记｜这款{product}用完{n}瓶了",
            "熬夜党救星！这款{product}一定回购",
            "{skin}换季不泛红，全靠这几步",
        ),
        titles_en=(
            "My {season_en} routine for {skin_en} skin",
            "Empties: {n} bottles of this {product_en} later",
        ),
        openings_zh=(
            "作为一个{skin}，换季真的太难了。",
            "这款{product}已经是第{n}瓶了，必须夸一夸。",
            "护肤不在贵，在于适合自己。",
        ),
        middles_zh=(
            "早上清洁完先上保湿，再上防晒。",
            "晚上用温和的洁面，不要过度清洁。",
            "质地是清爽的乳液，吸收很快不黏腻。",
            "敏感期停掉酸类和A醇，先修护屏障。",
            "坚持用了一个月，泛红明显少了。",
            "记得做耳后测试，确认不过敏再上脸。",
        ),
        openings_en=(
            "With {skin_en} skin, season changes are always tricky.",
            "This {product_en} is my {n}th bottle, it deserves a post.",
            "Good skincare is about what suits you, not the price.",
        ),
        middles_en=(
            "Mornings: gentle cleanse, moisturiser, then sunscreen.",
            "The texture is light and sinks in fast.",
            "I paused acids while my skin barrier recovered.",
            "After a month the redness is clearly calmer.",
        ),
        covers_zh=("空瓶记", "换季护肤", "护肤流程", "回购清单"),
        covers_en=("Skincare Routine", "Empties", "Glow Up"),
        labels=("护肤", "Skincare"),
    ),
    Theme(
        topic="周末去哪儿",
        related=("旅行", "咖啡探店"),
        illustrations=("sun", "plant", "cup"),
        slots={
            "city": CITIES,
            "spot": ("植物园", "美术馆", "古镇", "湿地公园", "露营地", "海边", "创意园"),
            "hours": ("1", "2"),
            "city_en": CITIES_EN,
            "spot_en": ("botanical garden", "art museum", "old town", "wetland park", "campsite"),
        },
        titles_zh=(
            "{city}周末去哪儿｜{spot}一日游",
            "{city}周边{hours}小时，发现世外桃源",
            "周末带娃去{spot}，大人小孩都开心",
            "{city}{spot}打卡，这周末别错过",
        ),
        titles_en=(
            "Weekend in {city_en}: a day at the {spot_en}",
            "An easy day trip from {city_en} to a quiet {spot_en}",
        ),
        openings_zh=(
            "周末不想宅家，就去了趟{spot}。",
            "离{city}市区不远，开车{hours}小时就到。",
            "天气太好了，不出门就浪费了 🌤",
        ),
        middles_zh=(
            "门票不贵，学生还有半价。",
            "建议下午三点以后去，不会太晒。",
            "园区很大，穿双舒服的鞋子。",
            "附近有家小面馆，味道很不错。",
            "带上野餐垫和零食，能待一整天。",
            "拍照的话推荐穿浅色衣服，很出片。",
        ),
        openings_en=(
            "Did not want to stay in, so we went to the {spot_en}.",
            "Not far from {city_en}, an easy trip for a Saturday.",
            "The weather was too good to stay home 🌤",
        ),
        middles_en=(
            "Tickets are cheap and students get half price.",
            "Go after three in the afternoon to avoid the heat.",
            "Bring a picnic blanket and snacks, you can stay all day.",
            "Wear comfortable shoes, it is bigger than it looks.",
        ),
        covers_zh=("周末去哪儿", "城市周边游", "一日游攻略", "出门晒太阳"),
        covers_en=("Weekend Plans", "Day Trip", "Get Outside"),
        labels=("周末", "Weekend"),
    ),
    Theme(
        topic="好物分享",
        related=("开箱", "护肤"),
        illustrations=("bag", "bottle", "plant"),
        slots={
            "n": ("5", "7", "10", "12"),
            "price": ("30", "50", "100"),
            "room": ("厨房", "浴室", "卧室", "书桌", "宿舍"),
            "price_en": ("30", "50", "100"),
        },
        titles_zh=(
            "{n}个提升幸福感的{room}好物",
            "租房党必备｜{price}元以内的宝藏好物",
            "这些{room}好物，我愿称之为神器",
            "用了就回不去的{n}件{room}小东西",
        ),
        titles_en=(
            "{n} small things that made my home nicer",
            "Renter favourites under {price_en} yuan",
        ),
        openings_zh=(
            "搬家之后一点点添置的小东西，幸福感真的提升了。",
            "都是自己用过觉得好的，不好用的不会推荐。",
            "预算不多也能把{room}收拾得很舒服。",
        ),
        middles_zh=(
            "第一个是收纳盒，抽屉一下子就整齐了。",
            "香薰蜡烛晚上点一点，特别放松。",
            "挂钩不用打孔，租房也能放心用。",
            "小夜灯是感应的，起夜再也不摸黑。",
            "这个价格买到就是赚到。",
            "颜色选的奶白色，和什么风格都搭。",
        ),
        openings_en=(
            "Little things I added after moving, and they made a real difference.",
            "Only things I use every day, nothing I would not buy again.",
            "You do not need a big budget to make a small flat cosy.",
        ),
        middles_en=(
            "First, drawer organisers, everything finally has a place.",
            "A scented candle in the evening, instant calm.",
            "Adhesive hooks that do not damage rental walls.",
            "A motion night light, no more stubbed toes.",
        ),
        covers_zh=("好物分享", "幸福感好物", "租房好物", "平价神器"),
        covers_en=("Little Joys", "Home Finds", "Under 100"),
        labels=("好物", "Finds"),
    ),
)
