mod support;

#[tokio::test]
async fn starts() {
    let fake = support::fake_github::FakeGitHub::start().await;
    assert!(fake.url().starts_with("http://127.0.0.1:"));
}
