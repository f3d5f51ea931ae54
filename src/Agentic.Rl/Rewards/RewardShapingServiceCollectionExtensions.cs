using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Rl.Rewards;

/// <summary>Dependency-injection registration of a shaped reward.</summary>
public static class RewardShapingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="CompositeReward"/> built by <see cref="RewardShaping.Create"/> from the configured
    /// options. The reward is built here, so invalid options fail at registration, not at the first episode.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options: the suite, weights, extra terms, clamp.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A weight or bound is invalid, or two terms share a name.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options of a term are invalid.</exception>
    public static IServiceCollection AddRewardShaping(this IServiceCollection services, Action<RewardShapingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new RewardShapingOptions();
        configure?.Invoke(options);
        services.AddSingleton(RewardShaping.Create(options));
        return services;
    }
}
