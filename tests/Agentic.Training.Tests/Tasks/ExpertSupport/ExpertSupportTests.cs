using System.Text.Json;
using System.Text.Json.Nodes;
using Agentic.Training.Tasks.ExpertSupport;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.ExpertSupport;

public class ExpertSupportTests
{
    private static readonly string[] OrderFields = ["order_id", "status"];

    [Theory]
    [InlineData("customer_id")]
    [InlineData("customerId")]
    [InlineData("CustomerId")]
    [InlineData("customer_id_")]
    public void Drifted_keys_are_found(string key)
    {
        var json = JsonNode.Parse($$"""{"{{key}}": "C17", "_trace_id": "abc"}""");
        Assert.Equal("C17", RobustJson.GetString(json, "customer_id"));
        Assert.True(RobustJson.Has(json, "customer_id"));
        Assert.Null(RobustJson.GetString(json, "email"));
    }

    [Fact]
    public void Results_of_any_shape_are_read_and_text_is_no_result()
    {
        using var document = JsonDocument.Parse("""{"a": 1}""");
        Assert.Equal(1m, RobustJson.GetDecimal(RobustJson.Parse(document.RootElement), "a"));
        Assert.Equal(1m, RobustJson.GetDecimal(RobustJson.Parse("""{"a": 1}"""), "a"));
        Assert.Null(RobustJson.Parse("Error: tool 'x' timed out after 10 s."));
        Assert.Null(RobustJson.Parse("{broken"));
        Assert.Equal(["a", "b"], RobustJson.GetStringSet(JsonNode.Parse("""{"x": ["b", "a", "b"]}"""), "x")!);
    }

    [Theory]
    [InlineData("""{"error": {"status": 429, "code": "too_many_requests", "message": "Retry the call.", "retryable": true}}""", "Failed")]
    [InlineData("""{"Error": {"status": 408, "code": "timeout", "message": "Retry the call.", "retryable": true}}""", "Failed")]
    [InlineData("not json", "Failed")]
    [InlineData("""{"error": "order O1 is shipped and cannot be cancelled"}""", "Rejected")]
    [InlineData("""{}""", "Rejected")]
    [InlineData("""{"_trace_id": "abc"}""", "Rejected")]
    [InlineData("""{"orderId": "O1"}""", "Succeeded")]
    [InlineData("""{"order_id": "O1", "status": "cancelled", "api_version": "2.1"}""", "Succeeded")]
    public void Outcomes_tell_failures_that_did_not_run_from_refusals_and_successes(string result, string expected) =>
        Assert.Equal(Enum.Parse<ToolOutcome>(expected), ToolTranscript.Classify(RobustJson.Parse(result), OrderFields));

    [Fact]
    public void The_transcript_pairs_calls_with_results_in_order()
    {
        var reply = new ExpertReply();
        var calls = reply.Call("cancel_order", 2, ("order_id", "O1"));
        var ids = calls.Contents.OfType<FunctionCallContent>().Select(c => c.CallId).ToArray();
        Assert.Equal(2, ids.Distinct().Count());
        var results = new ChatMessage(ChatRole.Tool,
        [
            new FunctionResultContent(ids[1], JsonDocument.Parse("""{"order_id": "O1", "status": "cancelled"}""").RootElement),
            new FunctionResultContent(ids[0], JsonDocument.Parse("""{"error": {"status": 503}}""").RootElement),
        ]);

        var transcript = ToolTranscript.Read([calls, results], new Dictionary<string, string[]> { ["cancel_order"] = OrderFields });

        Assert.Equal([ToolOutcome.Succeeded, ToolOutcome.Failed], transcript.Select(t => t.Outcome));
        Assert.All(transcript, t => Assert.True(t.Is("cancel_order", "order_id", " o1 ")));
    }

    [Fact]
    public void Consensus_needs_two_agreeing_readings_and_gives_up_on_the_most_frequent()
    {
        Assert.False(Consensus.TryAgree(["a"], out string _));
        Assert.False(Consensus.TryAgree(["a", "b"], out string _));
        Assert.True(Consensus.TryAgree(["a", "b", "a"], out string agreed));
        Assert.Equal("a", agreed);
        Assert.True(Consensus.TryAgree(["a", "b", "c", "d", "e"], out string last));
        Assert.Equal("e", last);
        Assert.Equal(2, Consensus.Needed(Array.Empty<string>()));
        Assert.Equal(1, Consensus.Needed(["a", "b"]));
    }
}
