using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Noise;

[Properties(Replay = "(3984858364612679,2242427777)")]
public class NoisyUserChatClientTests
{
    private static readonly string[] Openers = ["Hi,", "Hello there.", "Good morning!", "Hey,"];
    private static readonly string[] Requests = ["I want to cancel order {0} please.", "Please refund order {0}, it arrived broken.", "Can you change the address on order {0}?", "I'd like to return order {0}."];

    private static string Value(int seed) => "A-" + (1000 + (Math.Abs(seed % 9000))).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Request(int seed, string value)
    {
        var random = new DeterministicRandom((ulong)(uint)seed);
        return Openers[random.Next(Openers.Length)] + " " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Requests[random.Next(Requests.Length)], value);
    }

    private static UserNoiseOptions Options(int seed, double rate, string value, List<NoiseInjection> sink, params UserNoiseKind[] kinds)
    {
        var options = new UserNoiseOptions { InjectionRate = rate }.Seed((ulong)(uint)seed);
        options.Slots["order id"] = value;
        if (kinds.Length > 0)
        {
            options.KindWeights.Clear();
            foreach (var kind in kinds)
            {
                options.KindWeights[kind] = 1;
            }
        }

        options.OnNoiseInjected = args =>
        {
            sink.Add(args.Injection);
            return ValueTask.CompletedTask;
        };
        return options;
    }

    private static async Task<string> SayAsync(IChatClient user, string agentText, string? conversation = null) =>
        (await user.GetResponseAsync([new ChatMessage(ChatRole.User, agentText)], new ChatOptions { ConversationId = conversation })).Text;

    [Property(MaxTest = 100)]
    public async Task<bool> Rate_zero_never_changes_the_user(int seed, NonNull<string> line)
    {
        var injections = new List<NoiseInjection>();
        var user = new NoisyUserChatClient(new ScriptedUser(line.Get), Options(seed, 0, "A-1042", injections));
        for (int turn = 0; turn < 3; turn++)
        {
            if (await SayAsync(user, "How can I help?") != line.Get)
            {
                return false;
            }
        }

        return injections.Count == 0;
    }

    [Property(MaxTest = 100)]
    public async Task<bool> Rate_zero_returns_the_exact_text(int seed, int requestSeed)
    {
        var injections = new List<NoiseInjection>();
        string line = Request(requestSeed, Value(seed));
        var user = new NoisyUserChatClient(new ScriptedUser(line), Options(seed, 0, Value(seed), injections));
        for (int turn = 0; turn < 3; turn++)
        {
            if (await SayAsync(user, "Could you tell me your order id?") != line)
            {
                return false;
            }
        }

        return injections.Count == 0;
    }

    [Property(MaxTest = 100)]
    public async Task<bool> Rate_one_always_injects(int seed, int requestSeed)
    {
        var injections = new List<NoiseInjection>();
        string value = Value(seed);
        var user = new NoisyUserChatClient(new ScriptedUser(Request(requestSeed, value)), Options(seed, 1, value, injections));
        for (int turn = 0; turn < 5; turn++)
        {
            await SayAsync(user, "Okay.");
            if (injections.Count != turn + 1 || injections[turn].Turn != turn || injections[turn].Source != NoiseSource.User)
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 100)]
    public async Task<bool> The_same_seed_gives_the_same_noise(int seed, int requestSeed)
    {
        async Task<string> RunAsync()
        {
            var injections = new List<NoiseInjection>();
            string value = Value(requestSeed);
            var user = new NoisyUserChatClient(new ScriptedUser(Request(requestSeed, value), "Thanks, " + value + " is right."), Options(seed, 0.7, value, injections));
            var lines = new List<string>();
            foreach (string agent in new[] { "Hello!", "Which order?", "What is your order id?", "Done." })
            {
                lines.Add(await SayAsync(user, agent));
            }

            return string.Join("\n", lines) + "\n" + string.Join("\n", injections);
        }

        return await RunAsync() == await RunAsync();
    }

    [Property(MaxTest = 200)]
    public async Task<Property> An_omitted_value_is_revealed_when_the_agent_asks_for_it(int seed, int requestSeed, NonNegativeInt idleTurns)
    {
        var injections = new List<NoiseInjection>();
        string value = Value(seed);
        var user = new NoisyUserChatClient(
            new ScriptedUser(Request(requestSeed, value), "As I said, please help with " + value + ".", "Is it done?"),
            Options(seed, 1, value, injections, UserNoiseKind.ContextOmission));

        string first = await SayAsync(user, "Hello, how can I help you today?");
        bool withheld = !first.Contains(value, StringComparison.OrdinalIgnoreCase) && user.GetWithheldSlots().SequenceEqual(["order id"]);

        bool stillWithheld = true;
        for (int i = 0; i < idleTurns.Get % 4; i++)
        {
            stillWithheld &= !(await SayAsync(user, "I see. Anything else I should know?")).Contains(value, StringComparison.OrdinalIgnoreCase);
        }

        string answer = await SayAsync(user, "Could you give me the Order ID, please?");
        bool revealed = answer.Contains(value, StringComparison.Ordinal) && user.GetWithheldSlots().Count == 0;
        return withheld.Label("withheld at first").And(stillWithheld.Label("withheld until asked")).And(revealed.Label("revealed: " + answer));
    }

    [Property(MaxTest = 150)]
    public async Task<Property> Every_kind_keeps_the_slot_value_recoverable(int seed, int requestSeed, NonNegativeInt kindIndex)
    {
        var kinds = Enum.GetValues<UserNoiseKind>();
        var kind = kinds[kindIndex.Get % kinds.Length];
        var injections = new List<NoiseInjection>();
        string value = Value(seed);
        var user = new NoisyUserChatClient(
            new ScriptedUser(Request(requestSeed, value), "It's about " + value + ", as I said.", "Thanks."),
            Options(seed, 1, value, injections, kind));
        var transcript = new List<string>
        {
            await SayAsync(user, "Hello, how can I help?"),
            await SayAsync(user, "Got it. Anything else?"),
            await SayAsync(user, "Just to confirm, what is your order id?"),
        };
        bool recoverable = transcript.Any(t => t.Contains(value, StringComparison.Ordinal));
        return recoverable.Label($"{kind}: {string.Join(" | ", transcript)}");
    }

    [Property(MaxTest = 100)]
    public async Task<bool> Typos_never_touch_slot_values(int seed, int requestSeed)
    {
        var injections = new List<NoiseInjection>();
        string value = Value(seed);
        string line = Request(requestSeed, value);
        var user = new NoisyUserChatClient(new ScriptedUser(line), Options(seed, 1, value, injections, UserNoiseKind.Typos));
        string noisy = await SayAsync(user, "Hi");
        return noisy.Contains(value, StringComparison.Ordinal) && noisy != line && injections.Single().Kind == nameof(UserNoiseKind.Typos);
    }

    [Property(MaxTest = 100)]
    public async Task<bool> Typos_never_touch_words_in_capitals(int seed)
    {
        var injections = new List<NoiseInjection>();
        const string line = "Set VAR X to the value from the NASA report and tell me.";
        var user = new NoisyUserChatClient(new ScriptedUser(line), Options(seed, 1, "A-1", injections, UserNoiseKind.Typos));
        string noisy = await SayAsync(user, "Hi");
        return noisy != line && noisy.Contains("VAR X", StringComparison.Ordinal) && noisy.Contains("NASA", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UserNoiseKind.SelfCorrection)]
    [InlineData(UserNoiseKind.ContextOmission)]
    [InlineData(UserNoiseKind.ReferentialAmbiguity)]
    public async Task A_slot_value_is_found_as_a_whole_word_only_and_the_messages_line_breaks_survive(UserNoiseKind kind)
    {
        // "ember" stands inside "remembered": only the whole word is the slot's value.
        var injections = new List<NoiseInjection>();
        var options = Options(11, 1, "A-1", injections, kind);
        options.Slots.Clear();
        options.Slots["key"] = "ember";
        var user = new NoisyUserChatClient(new ScriptedUser("We remembered. What is the code for ember?\nThe code for ember is 12."), options);

        string text = await SayAsync(user, "Hi");

        Assert.Equal(kind.ToString(), Assert.Single(injections).Kind);
        switch (kind)
        {
            case UserNoiseKind.SelfCorrection:
                Assert.Matches(@"^We remembered\. What is the code for \w+ \(sorry, I mean ember\)\?\nThe code for ember is 12\.$", text);
                break;
            case UserNoiseKind.ContextOmission:
                Assert.Equal("We remembered. What is the code for?\nThe code for is 12.", text);
                Assert.Contains("My key is ember.", await SayAsync(user, "Which key do you mean?"), StringComparison.Ordinal);
                break;
            default:
                Assert.Equal("We remembered. What is the code for ember?\nThe code for that one is 12.", text);
                break;
        }
    }

    [Fact]
    public async Task Self_correction_states_a_wrong_value_then_the_right_one()
    {
        var injections = new List<NoiseInjection>();
        var user = new NoisyUserChatClient(new ScriptedUser("Please cancel order A-1042."), Options(4, 1, "A-1042", injections, UserNoiseKind.SelfCorrection));
        string text = await SayAsync(user, "Hi");
        Assert.Matches(@"A-\d{4} \(sorry, I mean A-1042\)", text);
        Assert.DoesNotContain("A-1042 (sorry, I mean A-1042)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Referential_ambiguity_and_goal_ambiguity_are_cleared_up_by_a_question()
    {
        var injections = new List<NoiseInjection>();
        var user = new NoisyUserChatClient(
            new ScriptedUser("Please cancel order A-1042.", "Yes, cancel A-1042.", "Thanks."),
            Options(8, 1, "A-1042", injections, UserNoiseKind.ReferentialAmbiguity));
        await SayAsync(user, "Hi");
        string vague = await SayAsync(user, "Sure.");
        Assert.Contains("that one", vague, StringComparison.Ordinal);
        Assert.DoesNotContain("A-1042", vague, StringComparison.Ordinal);
        Assert.Contains("By \"that one\" I mean A-1042.", await SayAsync(user, "Which order do you mean?"), StringComparison.Ordinal);

        var goal = new NoisyUserChatClient(new ScriptedUser("Please cancel order A-1042.", "Thanks."), Options(8, 1, "A-1042", injections, UserNoiseKind.GoalAmbiguity));
        string hedged = await SayAsync(goal, "Hi");
        Assert.Contains("deal with", hedged, StringComparison.Ordinal);
        goal.Options.Enabled = false;
        Assert.Contains("To be clear, what I mean is: Please cancel order A-1042.", await SayAsync(goal, "What would you like me to do?"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clarification_the_user_already_gives_is_not_appended_twice()
    {
        var injections = new List<NoiseInjection>();
        var user = new NoisyUserChatClient(
            new ScriptedUser("Please cancel order A-1042.", "My order id is A-1042."),
            Options(2, 1, "A-1042", injections, UserNoiseKind.ContextOmission));
        Assert.DoesNotContain("A-1042", await SayAsync(user, "Hi"), StringComparison.Ordinal);
        user.Options.Enabled = false;
        Assert.Equal("My order id is A-1042.", await SayAsync(user, "What is your order id?"));
    }

    [Fact]
    public async Task Conversations_are_tracked_separately()
    {
        var injections = new List<NoiseInjection>();
        var user = new NoisyUserChatClient(new ScriptedUser("Cancel order A-1042."), Options(2, 1, "A-1042", injections, UserNoiseKind.ContextOmission));
        await SayAsync(user, "Hi", "one");
        Assert.Equal(["order id"], user.GetWithheldSlots("one"));
        Assert.Empty(user.GetWithheldSlots("two"));
        user.ResetConversation("one");
        Assert.Empty(user.GetWithheldSlots("one"));
    }

    [Fact]
    public async Task The_builder_extension_wraps_the_simulated_user_and_streaming_folds()
    {
        var injections = new List<NoiseInjection>();
        NoisyUserChatClient? configured = null;
        IChatClient user = new ChatClientBuilder(new ScriptedUser("Cancel order A-1042."))
            .UseUserNoise(Options(2, 1, "A-1042", injections, UserNoiseKind.TopicShift), c => configured = c)
            .Build();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in user.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")]))
        {
            updates.Add(update);
        }

        Assert.NotNull(configured);
        Assert.Contains("Cancel order A-1042.", string.Concat(updates.Select(u => u.Text)), StringComparison.Ordinal);
        Assert.Equal(nameof(UserNoiseKind.TopicShift), Assert.Single(injections).Kind);
    }

    [Fact]
    public void Named_levels_bundle_more_kinds_and_higher_rates()
    {
        Assert.False(UserNoiseOptions.ForLevel(NoiseLevel.None).Enabled);
        var low = UserNoiseOptions.ForLevel(NoiseLevel.Low);
        var medium = UserNoiseOptions.ForLevel(NoiseLevel.Medium);
        var high = UserNoiseOptions.ForLevel(NoiseLevel.High);
        Assert.True(low.InjectionRate < medium.InjectionRate && medium.InjectionRate < high.InjectionRate);
        Assert.True(low.KindWeights.Count < medium.KindWeights.Count && medium.KindWeights.Count < high.KindWeights.Count);
        Assert.Equal(Enum.GetValues<UserNoiseKind>().Length, high.KindWeights.Count);
    }
}
