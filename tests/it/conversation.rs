//! Conversations as people write them: phrasings with the number first or in a sentence,
//! replies to cards and notices, yes and no to the confirmation question, and a card that
//! always shows its ticket's state, on a platform that edits messages.

use crate::both_backends;
use crate::support::{Db, ROSTER, TestApp, message, seed, spawn_app, spawn_app_with};
use gridline::domain::TicketState;
use gridline::platform::memory::MemoryAdapter;
use gridline::platform::{Adapter as _, Capabilities, EventKind, Outbound};

/// The edits of message `card`: (text, button ids), oldest first.
fn edits_of(app: &TestApp, card: &str) -> Vec<(String, Vec<String>)> {
    app.memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            Outbound::Edit {
                message_id,
                text,
                buttons,
                ..
            } if message_id == card => Some((text, buttons.into_iter().map(|b| b.id).collect())),
            _ => None,
        })
        .collect()
}

async fn state(app: &TestApp, id: i64) -> TicketState {
    app.store
        .ticket(id)
        .await
        .expect("db")
        .expect("ticket")
        .state
}

async fn phrasings_and_a_true_card(db: Db) {
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 3栋门口下水道堵了")
        .await;
    let card = app.card_for(&source);

    // A neighbour's "我家楼下也是" in reply to the card: a co-reporter, not a new ticket.
    app.say_reply("g1", "res2", "李娜", "我家楼下也是", Some(&card))
        .await;
    let co = app.store.co_reporters(1).await.expect("co-reporters");
    assert_eq!(co.len(), 1, "{co:?}");
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);

    // A question about a ticket acts on nothing: it is answered with the ticket's state.
    app.say("g1", "leader1", "张伟", "1号处理了没").await;
    assert_eq!(state(&app, 1).await, TicketState::Open);
    let answer = app.last().text;
    assert!(
        answer.contains("#1") && answer.contains("待接单"),
        "{answer}"
    );

    // "#1 接单", typed: claimed, and the card says so with the next button.
    app.say("g1", "leader1", "张伟", "#1 接单").await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    let claim_notice = app.last();
    assert!(
        claim_notice.text.contains("#1 已由 张伟 接单"),
        "{}",
        claim_notice.text
    );
    let edits = edits_of(&app, &card);
    let (text, buttons) = edits.last().expect("the card was redrawn");
    assert!(text.contains("状态：处理中（张伟"), "{text}");
    assert_eq!(buttons, &["/done T1-V1-G1#1"]);

    // The holder's "收到" to the card is an acknowledgement: no answer, no refused claim.
    let before = app.bot_messages().len();
    app.say_reply("g1", "leader1", "张伟", "收到，谢谢", Some(&card))
        .await;
    assert_eq!(app.bot_messages().len(), before, "{}", app.last().text);
    // His own words on the work are progress, as 进展 would record them; a question is not.
    app.say_reply(
        "g1",
        "leader1",
        "张伟",
        "已联系物业，下午来疏通",
        Some(&card),
    )
    .await;
    assert!(
        app.last()
            .text
            .contains("#1 进展（张伟）：已联系物业，下午来疏通"),
        "{}",
        app.last().text
    );
    app.say_reply("g1", "leader1", "张伟", "是哪个下水道？", Some(&card))
        .await;
    let notes: Vec<String> = app
        .store
        .ticket_events(1)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind.to_string() == "note")
        .map(|e| e.detail)
        .collect();
    assert_eq!(notes, ["已联系物业，下午来疏通"]);

    // "搞定了" in reply to the card, with nothing on what was done: asked for a word.
    app.say_reply("g1", "leader1", "张伟", "搞定了", Some(&card))
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    assert!(app.last().text.contains("办结 #1"), "{}", app.last().text);
    // "修好了，疏通了管道": resolved with it.
    app.say_reply("g1", "leader1", "张伟", "修好了，疏通了管道", Some(&card))
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    let resolution = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .rfind(|m| m.text.contains("已由 张伟 办结"))
        .expect("resolution notice");
    assert!(
        resolution.text.contains("疏通了管道"),
        "{}",
        resolution.text
    );
    // The co-reporter is asked to rate too.
    assert!(app.last().text.contains("@李娜"), "{}", app.last().text);
    let (text, buttons) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：已办结"), "{text}");
    assert_eq!(buttons.len(), 3, "rating buttons: {buttons:?}");

    // The resident answers the resolution notice in her own words: reopened, no new ticket.
    let notice_id = app
        .bot_messages()
        .into_iter()
        .find(|(m, _)| m.text == resolution.text)
        .and_then(|(_, ids)| ids.into_iter().next())
        .expect("resolution notice id");
    app.say_reply(
        "g1",
        "res1",
        "王芳",
        "还是堵着呢，没清干净",
        Some(&notice_id),
    )
    .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    let (text, _) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：处理中（王芳"), "{text}");

    // "1号办结了，杂物已清理": resolved again by a sentence.
    app.say("g1", "leader1", "张伟", "1号办结了，杂物已清理")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    app.say("g1", "res1", "王芳", "/rate 1 满意").await;
    assert_eq!(state(&app, 1).await, TicketState::Closed);
    let (text, buttons) = edits_of(&app, &card).pop().expect("redrawn");
    assert!(text.contains("状态：已关闭（王芳"), "{text}");
    assert!(buttons.is_empty(), "{buttons:?}");

    // A stale button says what happened, not only that it cannot be done.
    app.press("g1", "leader1", "张伟", &card, "/done T1-V1-G1#1")
        .await;
    let toast = app
        .memory
        .sent()
        .into_iter()
        .filter_map(|s| match s.item {
            Outbound::AnswerButton { text, .. } => Some(text),
            _ => None,
        })
        .next_back()
        .expect("the press is answered");
    assert!(
        toast.contains("#1 已由 王芳 于") && toast.contains("评价，不能办结"),
        "{toast}"
    );

    // A dismissed ticket's card loses its buttons too, whoever typed the command.
    let second = app.say("g1", "res1", "王芳", "/report 5栋电梯坏了").await;
    let second_card = app.card_for(&second);
    app.say("g1", "leader1", "张伟", "驳回 2 已由物业处理")
        .await;
    let (text, buttons) = edits_of(&app, &second_card).pop().expect("redrawn");
    assert!(text.contains("状态：已驳回"), "{text}");
    assert!(buttons.is_empty());
    // The claim notice stayed a notice: only cards are edited.
    let notice_ids: Vec<String> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.text == claim_notice.text)
        .flat_map(|(_, ids)| ids)
        .collect();
    assert!(notice_ids.iter().all(|id| edits_of(&app, id).is_empty()));
    app.stop().await;
}
both_backends!(phrasings_and_a_true_card, phrasings_and_a_true_card);

/// A rating typed on its own, not as a reply: the sender's one ticket waiting in this chat is
/// rated; with two waiting the sender is asked which; from someone with none waiting it is an
/// ordinary message, and "ok" alone rates nothing.
async fn ratings_typed_without_a_reply(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "办结 1 换了灯泡").await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);

    // Someone else's "满意" rates nothing; the reporter's "ok" neither.
    app.say("g1", "res2", "李娜", "满意").await;
    app.say("g1", "res1", "王芳", "ok").await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);

    app.say("g1", "res1", "王芳", "很满意，谢谢！").await;
    assert_eq!(state(&app, 1).await, TicketState::Closed);
    assert!(
        app.last().text.contains("#1 评价：满意"),
        "{}",
        app.last().text
    );

    // Two waiting: asked which, nothing rated.
    app.say("g1", "res1", "王芳", "/report 5栋电梯坏了").await;
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    for n in [2, 3] {
        app.say("g1", "leader1", "张伟", &format!("接单 {n}")).await;
    }
    app.say("g1", "leader1", "张伟", "办结 2 电梯已修复").await;
    app.say("g1", "leader1", "张伟", "办结 3 已清运").await;
    app.say("g1", "res1", "王芳", "不满意").await;
    let ask = app.last().text;
    assert!(
        ask.contains("2件待评价") && ask.contains("#2") && ask.contains("#3"),
        "{ask}"
    );
    assert!(ask.contains("评价 #2 不满意"), "{ask}");
    assert_eq!(state(&app, 2).await, TicketState::Resolved);
    assert_eq!(state(&app, 3).await, TicketState::Resolved);
    // Answered as asked.
    app.say("g1", "res1", "王芳", "评价 #3 不满意").await;
    assert_ne!(state(&app, 3).await, TicketState::Resolved);
    // One left waiting: the word alone rates it.
    app.say("g1", "res1", "王芳", "一般吧").await;
    assert_eq!(state(&app, 2).await, TicketState::Closed);
    assert_eq!(app.store.ticket_count().await.expect("count"), 3);

    // "还是不亮" typed alone after a resolution reopens it, as 不满意 would; a longer sentence
    // with a place in it is a message of its own.
    app.say("g1", "res1", "王芳", "/report 2栋门口路灯坏了")
        .await;
    app.say("g1", "leader1", "张伟", "接单 4").await;
    app.say("g1", "leader1", "张伟", "办结 4 换了灯泡").await;
    app.say("g1", "res1", "王芳", "还是不亮").await;
    assert_eq!(state(&app, 4).await, TicketState::Claimed);
    app.say("g1", "leader1", "张伟", "办结 4 换了镇流器").await;
    app.say("g1", "res1", "王芳", "还是没人管 7栋楼顶的水箱一直漏水")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Resolved);
    assert_eq!(app.store.ticket_count().await.expect("count"), 5);
    // A longer sentence about the same problem, no other place in it, reopens it too.
    app.say("g1", "res1", "王芳", "还是黑乎乎的，晚上那盏路灯根本没亮")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Claimed);
    assert_eq!(app.store.ticket_count().await.expect("count"), 5);
    app.say("g1", "leader1", "张伟", "办结 4 换了线路").await;
    // The thing named first, then "still" and what is wrong.
    app.say("g1", "res1", "王芳", "门口的路灯还是黑的，晚上出门都看不见")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Claimed);
    assert_eq!(app.store.ticket_count().await.expect("count"), 5);
    app.say("g1", "leader1", "张伟", "办结 4 换了灯杆").await;
    app.say("g1", "res1", "王芳", "还是没人来收啊，3栋后面的垃圾还堆着")
        .await;
    assert_eq!(
        state(&app, 4).await,
        TicketState::Resolved,
        "another problem"
    );
    // In English too, with the place as a plural of the report's.
    app.say(
        "g1",
        "res1",
        "王芳",
        "/report the bin area behind Block 3 is overflowing",
    )
    .await;
    let count = app.store.ticket_count().await.expect("count");
    let mut id = 0;
    for candidate in 1..=count + 10 {
        if let Some(t) = app.store.ticket(candidate).await.expect("db")
            && t.body.contains("bin area")
        {
            id = candidate;
        }
    }
    let no = app.store.ticket(id).await.expect("db").expect("ticket").no;
    app.say("g1", "leader1", "张伟", &format!("接单 {no}"))
        .await;
    app.say(
        "g1",
        "leader1",
        "张伟",
        &format!("办结 {no} cleared and washed"),
    )
    .await;
    app.say(
        "g1",
        "res1",
        "王芳",
        "still smells bad tbh, they didn't wash the bins properly",
    )
    .await;
    assert_eq!(state(&app, id).await, TicketState::Claimed);
    assert_eq!(app.store.ticket_count().await.expect("count"), count);
    app.stop().await;
}
both_backends!(ratings_typed_without_a_reply, ratings_typed_without_a_reply);

/// A reporter asking how their report stands without its number: the one being handled is
/// shown with its state; with several, they are listed; someone with nothing reported here is
/// told how to report; nothing new is opened and nothing changes.
async fn own_progress_without_a_number(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "我报的灯修了吗？").await;
    let one = app.last().text;
    assert!(one.contains("#1") && one.contains("待接单"), "{one}");
    // Naming nothing, a question of progress asks after her one report being handled.
    app.say("g1", "res1", "王芳", "什么时候能修好啊").await;
    assert!(app.last().text.contains("#1 待接单"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "res1", "王芳", "我之前反映的问题怎么样了")
        .await;
    let claimed = app.last().text;
    assert!(
        claimed.contains("#1") && claimed.contains("处理中"),
        "{claimed}"
    );

    // Two being handled: both listed, the newest first.
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    app.say("g1", "res1", "王芳", "我报的事到底有没有人管")
        .await;
    let both = app.last().text;
    let (two, first) = (both.find("#2"), both.find("#1"));
    assert!(
        two.is_some() && first.is_some() && two < first,
        "both listed, newest first: {both}"
    );
    // Naming the problem picks the one it is about, in either language's way of asking.
    app.say("g1", "res1", "王芳", "我报的垃圾到底有没有人管")
        .await;
    let rubbish = app.last().text;
    assert!(
        rubbish.contains("#2") && !rubbish.contains("#1"),
        "{rubbish}"
    );
    app.say("g1", "res1", "王芳", "我报的楼道灯修了吗").await;
    let light = app.last().text;
    assert!(light.contains("#1") && !light.contains("#2"), "{light}");

    // Someone who reported nothing here is told how to report.
    app.say("g1", "res2", "李娜", "我报的灯修了吗").await;
    assert!(
        app.last().text.contains("没有找到您在本群报过的事"),
        "{}",
        app.last().text
    );
    // In her private chat with the bot, her reports of every group count.
    app.say("p-res1", "res1", "王芳", "我报的事到底有没有人管")
        .await;
    let private = app.last().text;
    assert!(
        private.contains("您的诉求") && private.contains("#1") && private.contains("#2"),
        "{private}"
    );
    app.say("p-res2", "res2", "李娜", "我报的灯修了吗").await;
    assert!(
        app.last().text.contains("没有找到您报过的事"),
        "{}",
        app.last().text
    );
    // Anyone may ask after a problem being handled by naming it, days later too.
    app.clock
        .advance(std::time::Duration::from_secs(3 * 86_400));
    app.say("g1", "res2", "李娜", "3栋的灯修好了吗").await;
    let lamp = app.last().text;
    assert!(
        lamp.contains("#1") && lamp.contains("处理中") && !lamp.contains("#2"),
        "{lamp}"
    );
    app.say("g1", "res2", "李娜", "垃圾到底有没有人管啊").await;
    let bins = app.last().text;
    assert!(bins.contains("#2") && !bins.contains("#1"), "{bins}");
    assert_eq!(app.store.ticket_count().await.expect("count"), 2);
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    assert_eq!(state(&app, 2).await, TicketState::Open);

    // With both done, the latest is the one shown.
    for n in [1, 2] {
        app.say("g1", "leader1", "张伟", &format!("接单 {n}")).await;
        app.say("g1", "leader1", "张伟", &format!("办结 {n} 已处理"))
            .await;
    }
    app.say("g1", "res1", "王芳", "我的报修有进展吗").await;
    let latest = app.last().text;
    assert!(latest.contains("#2") && !latest.contains("#1"), "{latest}");
    app.stop().await;
}
both_backends!(own_progress_without_a_number, own_progress_without_a_number);

/// A reporter takes a report back in their own words: "1号不用了", or without the number when
/// one of theirs is being handled here ("我报错了，不用管了", 撤销 alone); with several, they
/// are listed to choose from; from someone with nothing reported it is an ordinary message.
async fn withdrawn_in_words(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "刚才那个不用修了，自己好了")
        .await;
    assert!(app.last().text.contains("#1 已撤销"), "{}", app.last().text);
    assert_eq!(state(&app, 1).await, TicketState::Dismissed);

    app.say("g1", "res1", "王芳", "/report 5栋电梯坏了").await;
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    app.say("g1", "res1", "王芳", "/report 6栋楼道灯不亮").await;
    // The words name which: the lamp is withdrawn, the other two stay.
    app.say("g1", "res1", "王芳", "楼道灯那个不用修了，自己好了")
        .await;
    assert!(app.last().text.contains("#4 已撤销"), "{}", app.last().text);
    assert_eq!(state(&app, 2).await, TicketState::Open);
    app.say("g1", "res1", "王芳", "撤销").await;
    let which = app.last().text;
    assert!(
        which.contains("要撤销哪一件") && which.contains("#2") && which.contains("#3"),
        "{which}"
    );
    assert_eq!(state(&app, 2).await, TicketState::Open);
    app.say("g1", "res1", "王芳", "2号不用了").await;
    assert!(app.last().text.contains("#2 已撤销"), "{}", app.last().text);
    // One left: 撤销 alone takes it.
    app.say("g1", "res1", "王芳", "撤销").await;
    assert!(app.last().text.contains("#3 已撤销"), "{}", app.last().text);

    // Someone else's words withdraw nothing of hers.
    app.say("g1", "res1", "王芳", "/report 7栋水管漏水").await;
    app.say("g1", "res2", "李娜", "不用了，谢谢").await;
    assert_eq!(state(&app, 5).await, TicketState::Open);
    app.say("g1", "res2", "李娜", "撤销").await;
    assert!(app.last().text.contains("撤销 42"), "{}", app.last().text);
    assert_eq!(state(&app, 5).await, TicketState::Open);
    // A neighbour's "same here" with a word more joins it; the reporter's texted "nvm" takes
    // it back, but not while something is still wrong.
    app.say(
        "g1",
        "res2",
        "李娜",
        "same here, been like this since morning",
    )
    .await;
    assert!(app.last().text.contains("#5"), "{}", app.last().text);
    app.say(
        "g1",
        "res1",
        "王芳",
        "water works now but the tap is still dripping",
    )
    .await;
    // Her next words about it, naming no place, are added to her report, not a second one.
    assert!(
        app.last()
            .text
            .contains("已补充到您反映的 #5（供水排水，7栋）"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 5).await, TicketState::Open);
    app.say("g1", "res1", "王芳", "nvm it's working now").await;
    assert_eq!(state(&app, 5).await, TicketState::Dismissed);
    app.stop().await;
}
both_backends!(withdrawn_in_words, withdrawn_in_words);

/// 接单 or 办结 typed alone by the grid's staff, not as a reply: the grid's one ticket waiting
/// (for 办结, the sender's one claimed ticket here) is the one meant; with several they are
/// listed; a resident's 接单 is told how to write it, as before.
async fn bare_claim_and_done(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "leader1", "张伟", "接单").await;
    assert!(
        app.last().text.contains("接单 42"),
        "none waiting: {}",
        app.last().text
    );
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "接单").await;
    assert_eq!(
        state(&app, 1).await,
        TicketState::Open,
        "a resident claims nothing"
    );
    app.say("g1", "leader1", "张伟", "接单").await;
    assert!(
        app.last().text.contains("#1 已由 张伟 接单"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 1).await, TicketState::Claimed);

    app.say("g1", "res1", "王芳", "/report 5栋电梯坏了").await;
    app.say("g1", "res1", "王芳", "/report 5栋门口垃圾没人收")
        .await;
    app.say("g1", "deputy1", "刘洋", "接单").await;
    let which = app.last().text;
    assert!(
        which.contains("请发「接单 编号」") && which.contains("#2") && which.contains("#3"),
        "{which}"
    );
    assert!(!which.contains("#1 "), "claimed already: {which}");
    assert_eq!(state(&app, 2).await, TicketState::Open);
    // Another grid's waiting ticket is not this group's.
    app.say("g2", "leader2", "李强", "接单").await;
    assert!(app.last().text.contains("接单 42"), "{}", app.last().text);
    // English staff's word alone reads the same way.
    app.say("g2", "leader2", "李强", "/report 二网格路灯坏了")
        .await;
    app.say("g2", "leader2", "李强", "Claim.").await;
    assert!(
        app.last().text.contains("#1 已由 李强 接单"),
        "{}",
        app.last().text
    );
    // So does "I take it" in words, with no number and no reply.
    app.say("g2", "leader2", "李强", "/report 二网格井盖松了")
        .await;
    app.say("g2", "leader2", "李强", "我来了").await;
    app.say("g2", "leader2", "李强", "我去看看，十分钟到").await;
    assert!(
        app.last().text.contains("#2 已由 李强 接单"),
        "{}",
        app.last().text
    );

    // 办结 alone: the sender's one claimed ticket here.
    app.say("g1", "deputy1", "刘洋", "办结").await;
    assert!(
        app.last().text.contains("办结 42"),
        "nothing of his: {}",
        app.last().text
    );
    app.say("g1", "leader1", "张伟", "办结").await;
    assert!(
        app.last().text.contains("#1 已由 张伟 办结"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    // A plan in words with two waiting: which one; naming the job takes that one.
    app.say("g1", "deputy1", "刘洋", "收到，明天上午去看").await;
    let which = app.last().text;
    assert!(which.contains("#2") && which.contains("#3"), "{which}");
    app.say("g1", "deputy1", "刘洋", "5栋垃圾我来处理").await;
    assert!(
        app.last().text.contains("#3 已由 刘洋 接单"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 2).await, TicketState::Open);
    // Someone else sent is no claim of the sender's.
    app.say("g1", "leader1", "张伟", "5栋电梯你去看看").await;
    assert_eq!(state(&app, 2).await, TicketState::Open);
    // Someone fetched by the sender is the sender's claim; the job's own word of done ends it.
    app.say("g1", "leader1", "张伟", "电梯我下午叫人来修").await;
    assert!(
        app.last().text.contains("#2 已由 张伟 接单"),
        "{}",
        app.last().text
    );
    app.say("g1", "leader1", "张伟", "电梯修完了").await;
    assert_eq!(state(&app, 2).await, TicketState::Resolved);
    app.stop().await;
}
both_backends!(bare_claim_and_done, bare_claim_and_done);

/// A leader who has set others to the job says so ("垃圾的事已经通知环卫了"): the job named is
/// claimed, as 接单 would; a notice to everyone or news of others' arranging claims nothing.
async fn arranged_in_words(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res2", "李娜", "/report 5栋门口垃圾没人收")
        .await;
    for text in ["停水的事已经通知大家了", "物业已经通知了", "收到通知了"] {
        app.say("g1", "leader1", "张伟", text).await;
    }
    for n in [1, 2] {
        assert_eq!(state(&app, n).await, TicketState::Open);
    }
    app.say("g1", "leader1", "张伟", "垃圾的事已经通知环卫了，下午来拉")
        .await;
    assert!(
        app.last().text.contains("#2 已由 张伟 接单"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 1).await, TicketState::Open);
    // The one left: no job named is needed.
    app.say("g1", "leader1", "张伟", "我联系了电工，明天上午来修")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    // Handed on by the one who says so, over several clauses.
    app.say("g1", "res1", "王芳", "/report 12栋后面化粪池盖子碎了")
        .await;
    app.say(
        "g1",
        "leader1",
        "张伟",
        "这个不归我们管，化粪池是环卫所的，我转给他们",
    )
    .await;
    assert_eq!(state(&app, 3).await, TicketState::Claimed);
    // In English: what the leader will get others to do claims it; "done, …" then resolves it.
    app.say(
        "g1",
        "res2",
        "李娜",
        "/report big dog roaming the playground near block 12",
    )
    .await;
    app.say("g1", "leader1", "张伟", "will call you later")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Open);
    app.say("g1", "leader1", "张伟", "ok I'll get animal control out")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Claimed);
    app.say("g1", "leader1", "张伟", "done, dog has been caught")
        .await;
    assert_eq!(state(&app, 4).await, TicketState::Resolved);
    // What has been done or is set, naming the job: taken, the words in its history.
    app.say("g1", "res2", "李娜", "/report 2栋门口的井盖不见了")
        .await;
    app.say("g1", "leader1", "张伟", "今天大家辛苦了").await;
    assert_eq!(state(&app, 5).await, TicketState::Open);
    app.say("g1", "leader1", "张伟", "已经放了警示牌，明天市政来换井盖")
        .await;
    assert_eq!(state(&app, 5).await, TicketState::Claimed);
    app.say("g1", "leader1", "张伟", "查询 5").await;
    assert!(
        app.last().text.contains("明天市政来换井盖"),
        "{}",
        app.last().text
    );
    app.stop().await;
}
both_backends!(arranged_in_words, arranged_in_words);

/// A leader hands a job to someone of the roster in words ("这个交给刘洋处理吧"): the one there
/// is, or the one named, is transferred; a name that is nobody's hands nothing over, and the
/// one it went to takes it with "好的我来".
async fn handed_over_in_words(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 6栋楼顶漏水").await;
    app.say("g1", "leader1", "张伟", "这个交给老天爷吧").await;
    assert_eq!(state(&app, 1).await, TicketState::Open);
    app.say("g1", "leader1", "张伟", "这个交给刘洋处理吧").await;
    assert!(
        app.last().text.contains("#1 已转派给 @刘洋"),
        "{}",
        app.last().text
    );
    app.say("g1", "deputy1", "刘洋", "好的我来").await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    let assignee = app
        .store
        .ticket(1)
        .await
        .expect("the store answers")
        .expect("ticket 1")
        .assignee;
    assert_eq!(assignee.as_deref(), Some("D1"));
    app.stop().await;
}
both_backends!(handed_over_in_words, handed_over_in_words);

/// A resident asks how something is done; the leader's answer, replying to the question or
/// typed straight after it, settles the consultation with the answer as its result. A notice
/// or "I'll find out" in between answers nothing.
async fn a_question_answered(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let asked = app
        .say("g1", "res1", "王芳", "请问高龄补贴怎么申请，需要带什么材料")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Open);
    app.say("g1", "leader1", "张伟", "【通知】明天上午九点到十二点停水")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Open);
    // A promise to find out takes the question, to be answered later.
    app.say("g1", "leader1", "张伟", "我问一下街道再回复你")
        .await;
    assert_eq!(state(&app, 1).await, TicketState::Claimed);
    app.say_reply(
        "g1",
        "leader1",
        "张伟",
        "带身份证、户口本到社区服务站办理",
        Some(&asked),
    )
    .await;
    let done = app.last().text;
    assert!(
        done.contains("#1 已由 张伟 办结") && done.contains("户口本"),
        "{done}"
    );
    // A question answered is asked after in its own words, not "fixed".
    assert!(
        done.contains("没有解答您的问题") && !done.contains("没修好"),
        "{done}"
    );
    // Typed straight after the question, quoting nothing.
    app.say("g1", "res2", "李娜", "居住证在哪里办？").await;
    assert_eq!(state(&app, 2).await, TicketState::Open);
    app.say(
        "g1",
        "leader1",
        "张伟",
        "社区服务站一楼窗口，周一到周五都能办",
    )
    .await;
    assert_eq!(state(&app, 2).await, TicketState::Resolved);
    // A fault is no question: the same words leave it alone.
    app.say("g1", "res2", "李娜", "/report 6栋电梯门关不上")
        .await;
    app.say(
        "g1",
        "leader1",
        "张伟",
        "社区服务站一楼窗口，周一到周五都能办",
    )
    .await;
    assert_eq!(state(&app, 3).await, TicketState::Open);
    app.stop().await;
}
both_backends!(a_question_answered, a_question_answered);

/// A leader says a job is done in their own words, with no number and no reply: the job the
/// words name is resolved with them; words naming another job, a question, a negation or a
/// leader with nothing of theirs change nothing; several that fit are listed.
async fn done_in_own_words(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res2", "李娜", "/report 5栋门口垃圾没人收")
        .await;
    app.say("g1", "res1", "王芳", "/report 6栋电梯门关不上")
        .await;
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "接单 3").await;
    // Not done, or not a job of the grid's: nothing changes.
    for text in ["灯修好了吗", "还没修好", "今天的巡查已完成", "应该修好了吧"]
    {
        app.say("g1", "leader1", "张伟", text).await;
    }
    for n in [1, 3] {
        assert_eq!(state(&app, n).await, TicketState::Claimed);
    }
    assert_eq!(state(&app, 2).await, TicketState::Open);
    // "修好了" alone with two of his claimed: which one?
    app.say("g1", "leader1", "张伟", "修好了").await;
    let which = app.last().text;
    assert!(which.contains("#1") && which.contains("#3"), "{which}");
    // The words name the lamp: that one, with the words as what was done.
    app.say("g1", "leader1", "张伟", "楼道的灯已经换好了").await;
    assert!(
        app.last().text.contains("#1 已由 张伟 办结"),
        "{}",
        app.last().text
    );
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    assert_eq!(state(&app, 3).await, TicketState::Claimed);
    // Naming a job still waiting reaches it too; what follows the phrase is the result.
    app.say("g1", "leader1", "张伟", "5栋门口的垃圾清理完了，车刚拉走")
        .await;
    let done = app.last().text;
    assert!(
        done.contains("#2 已由 张伟 办结") && done.contains("车刚拉走"),
        "{done}"
    );
    // A number before the name: that ticket.
    app.say("g1", "leader1", "张伟", "#3 电梯修好了").await;
    assert_eq!(state(&app, 3).await, TicketState::Resolved);
    // A resident's words are a resident's: nothing of the sort.
    app.say("g1", "res1", "王芳", "/report 7栋路灯不亮").await;
    app.say("g1", "res1", "王芳", "7栋的路灯修好了").await;
    assert_eq!(state(&app, 4).await, TicketState::Open);
    // Replying to the resident's own message, as to the card: claimed, then done.
    let source = app
        .say("g1", "res2", "李娜", "2栋门口的井盖松了，车一过就哐哐响")
        .await;
    app.say_reply("g1", "leader1", "张伟", "收到，下午过去看看", Some(&source))
        .await;
    assert_eq!(state(&app, 5).await, TicketState::Claimed);
    app.say_reply("g1", "leader1", "张伟", "井盖已经固定好了", Some(&source))
        .await;
    assert_eq!(state(&app, 5).await, TicketState::Resolved);
    // "我看看" replying to the card takes it, as 收到 does.
    let source = app.say("g1", "res2", "李娜", "3栋楼下的水管漏水了").await;
    let card = app.card_for(&source);
    app.say_reply("g1", "leader1", "张伟", "我看看", Some(&card))
        .await;
    assert_eq!(state(&app, 6).await, TicketState::Claimed);
    // Words naming a place and its fitting ("车棚灯": the carport, read as property, and its
    // lamp) reach the lamp's ticket.
    app.say("g1", "res1", "王芳", "/report 车棚那边的灯不亮了")
        .await;
    app.say("g1", "leader1", "张伟", "车棚灯换好了").await;
    assert!(
        app.last().text.contains("#7 已由 张伟 办结"),
        "{}",
        app.last().text
    );
    // English as texted, the verb left out.
    app.say(
        "g1",
        "res1",
        "王芳",
        "/report the bins behind block 9 are overflowing",
    )
    .await;
    app.say("g1", "leader1", "张伟", "bins cleared, truck came at 3")
        .await;
    let done = app.last().text;
    assert!(
        done.contains("#8 已由 张伟 办结") && done.contains("truck came at 3"),
        "{done}"
    );
    app.stop().await;
}
both_backends!(done_in_own_words, done_in_own_words);

/// The reporter says it is fixed ("1号修好了", "#1 已经好了，谢谢"): they may not resolve it,
/// so the assignee is told to confirm and the words go into the history; the leader's own
/// "1号好了" resolves it. Someone else's words are refused as before.
async fn reporter_says_it_is_fixed(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    app.say("g1", "res1", "王芳", "#1 已经好了，谢谢").await;
    let told = app.last();
    assert!(
        told.text.contains("报事人说 #1 已经好了") && told.text.contains("@张伟"),
        "{}",
        told.text
    );
    assert!(told.mentions.iter().any(|m| m.user_id == "leader1"));
    assert_eq!(state(&app, 1).await, TicketState::Open);
    app.say("g1", "res1", "王芳", "查询 1").await;
    assert!(
        app.last().text.contains("报事人说已经好了"),
        "{}",
        app.last().text
    );
    // Not the reporter: the refusal stands.
    app.say("g1", "res2", "李娜", "1号修好了").await;
    assert!(app.last().text.contains("只有"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "1号好了").await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    // Hurried, then said fixed in their own words, no number: the one of theirs being handled.
    app.say("g1", "res2", "李娜", "8号楼门口的路灯不亮了").await;
    app.say("g1", "res2", "李娜", "都两个小时了还没人来").await;
    let status = app.last().text;
    assert!(
        status.contains("#2") && status.contains("待接单"),
        "{status}"
    );
    assert_eq!(
        app.bot_messages()
            .iter()
            .filter(|(m, _)| m.text.contains("已受理"))
            .count(),
        2
    );
    app.say("g1", "leader1", "张伟", "在路上了").await;
    assert_eq!(state(&app, 2).await, TicketState::Claimed);
    app.say("g1", "res2", "李娜", "修好了，谢谢张哥").await;
    let told = app.last().text;
    assert!(told.contains("报事人说 #2 已经好了"), "{told}");
    assert_eq!(state(&app, 2).await, TicketState::Claimed);
    app.stop().await;
}
both_backends!(reporter_says_it_is_fixed, reporter_says_it_is_fixed);

/// A problem written to the bot privately is answered with where to report it (before, only
/// "/report" was); chatter there, and in a group bound to no grid, gets no answer.
async fn a_problem_told_privately_is_pointed_to_the_group(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.submit(message(
        "p-res1",
        "res1",
        "王芳",
        "3栋楼道灯坏了，晚上黑漆漆的",
        None,
    ))
    .await
    .expect("stored");
    app.settle().await;
    let said: Vec<String> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == "p-res1")
        .map(|(m, _)| m.text)
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("请在网格群里报事"), "{}", said[0]);
    assert_eq!(app.store.ticket_count().await.expect("count"), 0);
    app.submit(message(
        "p-res1",
        "res1",
        "王芳",
        "你好呀，今天天气不错",
        None,
    ))
    .await
    .expect("stored");
    app.submit(message("x-unbound", "res1", "王芳", "3栋楼道灯坏了", None))
        .await
        .expect("stored");
    app.settle().await;
    let private = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == "p-res1" || m.chat == "x-unbound")
        .count();
    assert_eq!(private, 1, "no answer to chatter or in an unbound group");
    app.stop().await;
}
both_backends!(
    a_problem_told_privately_is_pointed_to_the_group,
    a_problem_told_privately_is_pointed_to_the_group
);

/// "不是" answers the confirmation question: no ticket, one short answer; "是的" opens it.
async fn yes_and_no(db: Db) {
    let app = spawn_app(db, |s| {
        s.parser.open_threshold = 1.5;
        s.parser.confirm_threshold = 0.3;
    })
    .await;
    seed(&app, ROSTER).await;
    app.say(
        "g1",
        "res1",
        "王芳",
        "3栋楼道的灯坏了好几天了，晚上上楼看不见",
    )
    .await;
    assert!(app.last().text.contains("不是"), "{}", app.last().text);
    app.say("g1", "res1", "王芳", "不是").await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 0);
    assert!(
        app.last().text.contains("不作为诉求"),
        "{}",
        app.last().text
    );
    // Asked again about another message, "是的" opens it.
    app.say("g1", "res1", "王芳", "小区门口的路灯好像坏了，晚上很黑")
        .await;
    app.say("g1", "res1", "王芳", "是的").await;
    assert_eq!(app.store.ticket_count().await.expect("count"), 1);
    let examples = gridline::store::examples::load_all(&app.store)
        .await
        .expect("examples");
    let answers: Vec<(String, bool)> = examples
        .iter()
        .map(|e| (e.example.source.to_string(), e.example.is_request))
        .collect();
    assert_eq!(
        answers,
        [
            ("confirm_no".to_string(), false),
            ("confirm_yes".to_string(), true)
        ]
    );
    app.stop().await;
}
both_backends!(confirmation_yes_and_no, yes_and_no);

/// 改为紧急 / 改类: leaders over the grid and coordinators above it; deadlines follow the new
/// urgency from the report; the history keeps who changed what.
async fn corrections(db: Db) {
    let memory = MemoryAdapter::new(Capabilities {
        edits: true,
        ..MemoryAdapter::default().capabilities()
    });
    let app = spawn_app_with(db, memory).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 小区垃圾站着火了 冒黑烟")
        .await;
    let card = app.card_for(&source);
    let before = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(before.urgency, gridline::domain::Urgency::Urgent);

    // The parser read a fire; the leader finds a smouldering bin and says it is not urgent.
    app.say("g1", "leader1", "张伟", "改为一般 1").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Normal);
    assert_eq!(t.claim_due, t.created_at + 2 * 3_600_000);
    assert!(app.last().text.contains("2小时"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "改为一般 1").await;
    assert!(app.last().text.contains("已经是"), "{}", app.last().text);
    app.say("g1", "leader1", "张伟", "改为紧急 1").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.urgency, gridline::domain::Urgency::Urgent);
    assert_eq!(t.claim_due, t.created_at + 15 * 60_000);
    let _ = before.urgency;

    // A resident may not; a leader of another grid may not; the coordinator above may.
    app.say("g1", "res1", "王芳", "改类 1 道路交通").await;
    app.say("g2", "leader2", "李强", "改类 T1-V1-G1#1 道路交通")
        .await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.category, before.category);
    app.say("g1", "coord1", "陈静", "改类 1 环境卫生").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.category, gridline::domain::Category::Sanitation);
    let (text, _) = edits_of(&app, &card).pop().expect("the card was redrawn");
    assert!(text.contains("环境卫生"), "{text}");

    let history = app.store.ticket_events(1).await.expect("events");
    let corrections: Vec<(String, String, String)> = history
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                gridline::domain::HistoryKind::Recategorized
                    | gridline::domain::HistoryKind::UrgencyChanged
            )
        })
        .map(|e| (e.kind.to_string(), e.actor.clone(), e.detail.clone()))
        .collect();
    assert_eq!(corrections.len(), 3, "{corrections:?}");
    // Each correction is kept as a labelled example for the parser.
    let examples = gridline::store::examples::load_all(&app.store)
        .await
        .expect("examples");
    let sources: Vec<String> = examples
        .iter()
        .map(|e| e.example.source.to_string())
        .collect();
    assert_eq!(sources, ["urgency", "urgency", "recategorize"]);
    assert_eq!(examples[0].example.text, "小区垃圾站着火了 冒黑烟");
    assert_eq!(
        examples[2].example.category,
        Some(gridline::domain::Category::Sanitation)
    );
    assert_eq!(corrections[0].1, "L1");
    assert_eq!(corrections[2].1, "C1");
    assert!(corrections[2].2.ends_with(" sanitation"), "{corrections:?}");
    app.stop().await;
}
both_backends!(corrections_by_leaders_and_coordinators, corrections);

/// An urgent report calls the leader and the deputies at once, tells the village coordinators
/// without waiting for a deadline, and its card carries safety advice for its kind.
async fn urgent_fan_out(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    let roster = format!("{ROSTER}group,,东门村协调群,T1-V1,,memory,v1,\n");
    seed(&app, &roster).await;
    let source = app
        .say("g1", "res1", "王芳", "厨房煤气泄漏，味道很大，快来人")
        .await;
    let card = app
        .bot_messages()
        .into_iter()
        .map(|(m, _)| m)
        .find(|m| m.reply_to.as_deref() == Some(source.as_str()))
        .expect("card");
    assert!(card.text.contains("紧急"), "{}", card.text);
    // The card says what the urgent reading rests on, in the words of the report.
    assert!(
        card.text
            .lines()
            .any(|l| l.starts_with("紧急依据：") && l.contains("煤气")),
        "{}",
        card.text
    );
    assert!(
        card.text.contains("开窗通风") && card.text.contains("不要开关电器"),
        "{}",
        card.text
    );
    let called: Vec<&str> = card.mentions.iter().map(|m| m.user_id.as_str()).collect();
    assert!(
        called.contains(&"leader1") && called.contains(&"deputy1"),
        "{called:?}"
    );
    let village: Vec<String> = app
        .bot_messages()
        .into_iter()
        .filter(|(m, _)| m.chat == "v1")
        .map(|(m, _)| m.text)
        .collect();
    assert_eq!(village.len(), 1, "{village:?}");
    assert!(
        village[0].contains("【紧急】T1-V1-G1#1") && village[0].contains("煤气"),
        "{village:?}"
    );
    // A normal report calls the leader only, with no advice and nothing to the village.
    app.say("g1", "res1", "王芳", "/report 3栋楼道灯坏了").await;
    let normal = app.last();
    assert!(!normal.text.contains("安全提示"), "{}", normal.text);
    assert!(!normal.text.contains("紧急依据"), "{}", normal.text);
    assert_eq!(normal.mentions.len(), 1);
    assert_eq!(
        app.bot_messages()
            .into_iter()
            .filter(|(m, _)| m.chat == "v1")
            .count(),
        1
    );
    app.stop().await;
}
both_backends!(urgent_calls_everyone_at_once, urgent_fan_out);

/// Everyone asked rates once each until the window ends: the reporter's rating closes the
/// ticket, a co-reporter's after it is counted (not refused), a second rating by the same
/// person is answered with the first, a late 不满意 is passed to the leader, and after the
/// window nobody may rate. Statistics count every rating.
async fn everyone_asked_rates_once(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    let source = app
        .say("g1", "res1", "王芳", "/report 3栋门口下水道堵了")
        .await;
    let card = app.card_for(&source);
    for (user, name) in [("res2", "李娜"), ("res3", "周杰"), ("res5", "吴磊")] {
        app.say_reply("g1", user, name, "我家也是", Some(&card))
            .await;
    }
    assert_eq!(app.store.co_reporters(1).await.expect("co").len(), 3);
    app.say("g1", "leader1", "张伟", "办结 1 疏通了管道").await;
    let ask = app.last();
    assert!(
        ask.text.contains("@李娜") && ask.text.contains("每人一次"),
        "the co-reporters are asked, with the deadline: {}",
        ask.text
    );

    // The reporter rates first: closed.
    app.say("g1", "res1", "王芳", "评价 1 满意").await;
    assert_eq!(state(&app, 1).await, TicketState::Closed);
    // A co-reporter after her: counted, not refused.
    app.say("g1", "res2", "李娜", "评价 1 满意").await;
    let answer = app.last().text;
    assert!(answer.contains("#1 评价：满意"), "{answer}");
    assert!(!answer.contains("不能"), "{answer}");
    // The same person again: told they rated, nothing counted twice.
    app.say("g1", "res2", "李娜", "评价 1 不满意").await;
    let answer = app.last().text;
    assert!(
        answer.contains("评价过 #1（满意）") && answer.contains("每人评价一次"),
        "{answer}"
    );
    // Another co-reporter says it is not fixed, replying to the card: counted as 不满意 and
    // passed to the leader; the ticket stays closed.
    app.say_reply("g1", "res3", "周杰", "还是堵着", Some(&card))
        .await;
    let answer = app.last();
    assert!(
        answer.text.contains("周杰 的评价：不满意") && answer.text.contains("@张伟"),
        "{}",
        answer.text
    );
    assert_eq!(state(&app, 1).await, TicketState::Closed);
    // Someone who did not report may not rate.
    app.say("g1", "res4", "孙丽", "评价 1 满意").await;
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(
        (
            t.ratings.satisfied,
            t.ratings.neutral,
            t.ratings.unsatisfied
        ),
        (2, 0, 1)
    );
    assert_eq!(t.rating, Some(gridline::domain::Rating::Satisfied));
    let rated: Vec<String> = app
        .store
        .ticket_events(1)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == gridline::domain::HistoryKind::Rated)
        .map(|e| format!("{} {}", e.actor_name, e.detail))
        .collect();
    assert_eq!(
        rated,
        ["王芳 satisfied", "李娜 satisfied", "周杰 unsatisfied"]
    );

    // Every rating counts in the statistics: 2 of 3 satisfied.
    app.say("g1", "leader1", "张伟", "统计").await;
    let stats = app.last_with("收到群众诉求");
    assert!(stats.contains("满意度66.7%（评价3人次）"), "{stats}");

    // After the window the last co-reporter is told it ended.
    app.clock
        .advance(std::time::Duration::from_secs(4 * 24 * 3600));
    app.say("g1", "res5", "吴磊", "评价 1 满意").await;
    let answer = app.last().text;
    assert!(
        answer.contains("评价已于") && answer.contains("截止"),
        "{answer}"
    );
    let t = app.store.ticket(1).await.expect("db").expect("ticket");
    assert_eq!(t.ratings.total(), 3);
    // The rollups agree with a recount from the tickets.
    let (found, diffs) = app
        .store
        .verify_rollups(app.settings.general.timezone.0, 10)
        .await
        .expect("verify");
    assert_eq!(found, 0, "{diffs:?}");
    app.stop().await;
}
both_backends!(everyone_asked_rates_once, everyone_asked_rates_once);

/// Help and refusals in the sender's own form: a resident's 帮助 starts with the Chinese forms
/// and lists only what a resident may do; "/help" starts with the slash forms; a leader's help
/// has no 督办; a bare command word is answered with the Chinese example.
async fn help_in_the_senders_form(db: Db) {
    let app = spawn_app(db, |_| {}).await;
    seed(&app, ROSTER).await;
    app.say("g1", "res1", "王芳", "帮助").await;
    let help = app.last().text;
    let lines: Vec<&str> = help.lines().collect();
    assert_eq!(lines.get(1), Some(&"诉求 内容（/report 内容）"), "{help}");
    for not_hers in ["接单", "办结", "统计", "督办", "绑定"] {
        assert!(
            !lines.iter().any(|l| l.starts_with(not_hers)),
            "a resident is not offered {not_hers}: {help}"
        );
    }
    app.say("g1", "res1", "王芳", "/help").await;
    let help = app.last().text;
    assert!(
        help.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("/report")),
        "{help}"
    );
    app.say("g1", "leader1", "张伟", "帮助").await;
    let help = app.last().text;
    assert!(help.contains("办结 42 …（/done 42 结果）"), "{help}");
    assert!(!help.contains("督办"), "a leader may not urge: {help}");
    // A command word with nothing after it: the example in the same form.
    app.say("g1", "leader1", "张伟", "接单").await;
    assert!(app.last().text.contains("接单 42"), "{}", app.last().text);
    app.stop().await;
}
both_backends!(help_in_the_senders_form, help_in_the_senders_form);

/// Someone sends a photo (with `text`, possibly empty), optionally replying to `reply_to`.
async fn send_photo(
    app: &TestApp,
    (chat, user, name): (&str, &str, &str),
    text: &str,
    reply_to: Option<&str>,
    photo: &str,
) {
    let mut ev = message(chat, user, name, text, reply_to);
    if let EventKind::Message { photos, .. } = &mut ev.kind {
        photos.push(photo.to_string());
    }
    app.submit(ev).await.expect("stored");
    app.settle().await;
}

/// (photo, evidence) of a ticket, in the order sent.
async fn photos_of(app: &TestApp, ticket: i64) -> Vec<(String, bool)> {
    app.store
        .ticket_photos(ticket)
        .await
        .expect("photos")
        .into_iter()
        .map(|p| (p.photo, p.evidence))
        .collect()
}

/// 办结 takes photos as evidence: sent with it, replying to the card or the claim notice
/// before it, or just before or after it; a category that requires a photo refuses 办结
/// without one and says so; 查询 and the card show the evidence.
async fn evidence_photos(db: Db) {
    let app = spawn_app(db, |s| {
        s.evidence.photo_required = vec![gridline::domain::Category::Safety];
    })
    .await;
    seed(&app, ROSTER).await;
    let leader = ("g1", "leader1", "张伟");
    let source = app
        .say("g1", "res1", "王芳", "/report 5栋楼道堆满杂物")
        .await;
    let card = app.card_for(&source);
    // A resident's photo replying to the card belongs to the report, not the evidence.
    send_photo(&app, ("g1", "res1", "王芳"), "", Some(&card), "report-1").await;
    app.say("g1", "leader1", "张伟", "接单 1").await;
    app.say("g1", "leader1", "张伟", "改类 1 安全隐患").await;

    // No photo yet: refused, saying why; nothing changed.
    app.say("g1", "leader1", "张伟", "办结 1 已清理").await;
    let refusal = app.last().text;
    assert!(
        refusal.contains("#1 属于「安全隐患」，办结需附现场照片"),
        "{refusal}"
    );
    assert_eq!(state(&app, 1).await, TicketState::Claimed);

    // A photo replying to the claim notice: evidence. Then 办结 is accepted.
    let claim_notice = app
        .bot_messages()
        .into_iter()
        .find(|(m, _)| m.text.contains("#1 已由 张伟 接单"))
        .and_then(|(_, ids)| ids.into_iter().next())
        .expect("claim notice");
    send_photo(&app, leader, "", Some(&claim_notice), "done-1").await;
    app.say("g1", "leader1", "张伟", "办结 1 已清理").await;
    assert_eq!(state(&app, 1).await, TicketState::Resolved);
    assert_eq!(
        photos_of(&app, 1).await,
        [
            ("report-1".to_string(), false),
            ("done-1".to_string(), true)
        ]
    );
    app.say("g1", "res1", "王芳", "查询 1").await;
    let status = app.last().text;
    assert!(
        status.contains("照片 2 张（其中办结凭证 1 张）"),
        "{status}"
    );
    assert!(status.contains("办结凭证 张伟"), "{status}");

    // A photo sent with 办结 (a caption), and one replying to the card just after: evidence.
    let source = app
        .say("g1", "res1", "王芳", "/report 7栋门口垃圾没人清")
        .await;
    let card2 = app.card_for(&source);
    app.say("g1", "leader1", "张伟", "接单 2").await;
    send_photo(&app, leader, "办结 2 已清运", None, "done-2a").await;
    assert_eq!(state(&app, 2).await, TicketState::Resolved);
    send_photo(&app, leader, "", Some(&card2), "done-2b").await;
    assert_eq!(
        photos_of(&app, 2).await,
        [("done-2a".to_string(), true), ("done-2b".to_string(), true)]
    );

    // A photo just before 办结, not a reply: evidence too, and enough for a safety ticket.
    app.say("g1", "res1", "王芳", "/report 9栋电梯口有裸露电线")
        .await;
    app.say("g1", "leader1", "张伟", "改类 3 安全隐患").await;
    send_photo(&app, leader, "", None, "done-3").await;
    app.say("g1", "leader1", "张伟", "办结 3 已包扎电线").await;
    assert_eq!(state(&app, 3).await, TicketState::Resolved);
    assert_eq!(photos_of(&app, 3).await, [("done-3".to_string(), true)]);
    let kinds: Vec<String> = app
        .store
        .ticket_events(3)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind.id().to_string())
        .collect();
    assert!(kinds.contains(&"evidence".to_string()), "{kinds:?}");
    app.stop().await;
}
both_backends!(evidence_photos, evidence_photos);

/// Migration 0030 keeps the ratings given before it as the reporters' and counts them, so the
/// rollups built so far still add up.
async fn migration_keeps_existing_ratings(db: Db) {
    let mut old = crate::support::schema::SchemaBefore::new(db, 30).await;
    old.exec(
        "INSERT INTO grids (code, name, parent, level, path) VALUES ('G1', '一网格', NULL, 'grid', '/G1/')",
    )
    .await;
    // Closed satisfied; closed unrated; reopened by 不满意 (now claimed again).
    for (id, state, rating, reopened) in [
        (1, "closed", "'satisfied'", 0),
        (2, "closed", "NULL", 0),
        (3, "claimed", "'unsatisfied'", 1),
    ] {
        let sql = format!(
            "INSERT INTO tickets (id, grid, grid_no, platform, account, chat_id, source_message_id, \
             inbox_id, reporter_id, reporter_name, category, urgency, body, state, created_at, \
             claim_due, resolve_due, updated_at, rating, reopened) VALUES ({id}, 'G1', {id}, \
             'memory', 'bot', 'c', 'm{id}', {id}, 'r{id}', '王芳', 'other', 'normal', '事', \
             '{state}', 0, 0, 0, 5, {rating}, {reopened})"
        );
        old.exec(&sql).await;
    }
    old.migrate().await;
    let counts: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, rated_satisfied, rated_neutral, rated_unsatisfied FROM tickets ORDER BY id",
    )
    .fetch_all(&mut old.conn)
    .await
    .expect("tickets");
    assert_eq!(counts, [(1, 1, 0, 0), (2, 0, 0, 0), (3, 0, 0, 1)]);
    let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT ticket_id, user_id, rating, round FROM ticket_ratings ORDER BY ticket_id",
    )
    .fetch_all(&mut old.conn)
    .await
    .expect("ratings");
    assert_eq!(
        rows,
        [
            (1, "r1".into(), "satisfied".into(), 0),
            (3, "r3".into(), "unsatisfied".into(), 0),
        ],
        "the reporter's rating, of the resolution they rated"
    );
    sqlx::Connection::close(old.conn).await.expect("close");
}
both_backends!(
    migration_keeps_existing_ratings,
    migration_keeps_existing_ratings
);
